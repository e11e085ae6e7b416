package health

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// HostChecksFile is the name of the checks file in a host's directory of
// the fleet repository. A commit that adds a service can add its check in
// the same place.
const HostChecksFile = "berth-checks.yaml"

// hostChecks is the layout of a host checks file.
type hostChecks struct {
	Checks []Spec `yaml:"checks"`
}

// ParseFile decodes a host checks file (named name in errors) strictly:
// an unknown key, a value of the wrong type or an invalid check is an
// error naming the file, the line and the check. The specs come back
// normalized.
func ParseFile(name string, data []byte) ([]Spec, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var hc hostChecks
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&hc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	items := checkNodes(&root)
	for i := range hc.Checks {
		if err := hc.Checks[i].Normalize(); err != nil {
			return nil, fmt.Errorf("%s:%d: check %q: %w", name, lineOf(items, i), hc.Checks[i].Name, err)
		}
	}
	if err := Unique(hc.Checks); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return hc.Checks, nil
}

// checkNodes returns the items of the document's checks list.
func checkNodes(doc *yaml.Node) []*yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	m := doc.Content[0]
	for i := 0; m.Kind == yaml.MappingNode && i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "checks" && m.Content[i+1].Kind == yaml.SequenceNode {
			return m.Content[i+1].Content
		}
	}
	return nil
}

func lineOf(items []*yaml.Node, i int) int {
	if i < len(items) {
		return items[i].Line
	}
	return 0
}

// Unique returns an error naming the first check name used twice.
func Unique(specs []Spec) error {
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.Name] {
			return fmt.Errorf("check %q is declared twice", s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}
