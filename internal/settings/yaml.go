package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Decode decodes data, the YAML document of the file name, strictly over
// what v already holds (its defaults): an unknown key or a value of the
// wrong type is an error naming the file and the line. It returns the
// document, in which Locate finds the line of a key.
func Decode(name string, data []byte, v any) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &root, nil
}

// Locate names the file in err; an *Error reads "file:line: key: problem",
// with the line of its key in doc. nil stays nil.
func Locate(name string, doc *yaml.Node, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return fmt.Errorf("%s:%d: %s: %s", name, Line(doc, e.Key), e.Key, e.Msg)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// Line finds the line of a key such as "source.git.url", "keys[1].role"
// or "hosts.laptop1.token_file" in doc, or of its deepest parent there;
// 0 when the document is empty.
func Line(doc *yaml.Node, key string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range strings.Split(key, ".") {
		name, idx, indexed := strings.Cut(strings.TrimSuffix(part, "]"), "[")
		var next *yaml.Node
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				line, next = n.Content[i].Line, n.Content[i+1]
				break
			}
		}
		if next == nil {
			return line
		}
		if i, err := strconv.Atoi(idx); indexed && err == nil && next.Kind == yaml.SequenceNode && i < len(next.Content) {
			next = next.Content[i]
			line = next.Line
		}
		n = next
	}
	return line
}
