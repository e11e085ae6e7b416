package files

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/berth-nix/berth/internal/fault"
	"go.yaml.in/yaml/v3"
)

// MetaFile is the name of the metadata file in the host directory, beside
// files/. It is part of the flake directory and so ends up in the Nix
// store: it must never hold secrets, only owners and modes.
const MetaFile = "files.yaml"

// Attrs is what files.yaml may declare for one installed path. Keys of the
// file are installed paths ("/etc/secrets/db.password"), not paths inside
// files/.
type Attrs struct {
	// Owner and Group are names looked up in the system's user and group
	// databases, or decimal ids; both default to root.
	Owner string `yaml:"owner"`
	Group string `yaml:"group"`
	// Mode replaces the mode the tree carries. It is the only way to get
	// setuid, setgid or sticky bits.
	Mode *Mode `yaml:"mode"`
	// Secret makes files at and below the path default to mode 0600 (0700
	// when executable) and directories berth creates there to 0700.
	Secret bool `yaml:"secret"`
	// Replace lets berth take over a file or link at the path that it did
	// not install; otherwise such a file makes the install fail.
	Replace bool `yaml:"replace"`
}

// Mode is a permission mode written in octal, quoted or not: "0640",
// 0640, "4755" or "0o640" all read as octal.
type Mode fs.FileMode

// UnmarshalYAML reads the scalar's text as octal.
func (m *Mode) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: mode must be an octal number such as \"0640\"", n.Line)
	}
	s := strings.TrimPrefix(strings.TrimPrefix(n.Value, "0o"), "0O")
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o7777 {
		return fmt.Errorf("line %d: mode %q must be an octal number up to 7777", n.Line, n.Value)
	}
	*m = Mode(unixMode(uint32(v)))
	return nil
}

// Meta is the parsed files.yaml: attributes by installed path.
type Meta map[string]Attrs

// readMeta parses the metadata file at p; a missing file is an empty Meta.
// Every error is Stalling and names the file.
func readMeta(p string) (Meta, error) {
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Meta{}, nil
	}
	if err != nil {
		return nil, fault.Transientf("read %s: %w", MetaFile, err)
	}
	m, err := parseMeta(data)
	if err != nil {
		return nil, fault.Stallingf("%s: %w", MetaFile, err)
	}
	return m, nil
}

// parseMeta decodes files.yaml strictly: unknown keys are errors, and
// every path must be absolute, clean and not the root.
func parseMeta(data []byte) (Meta, error) {
	m := Meta{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	for p := range m {
		if !strings.HasPrefix(p, "/") || path.Clean(p) != p || p == "/" {
			return nil, fmt.Errorf("%q: paths are installed paths, absolute and clean, such as /etc/app/key", p)
		}
	}
	return m, nil
}

// secret reports whether p is at or below a path declared secret.
func (m Meta) secret(p string) bool {
	for q, a := range m {
		if a.Secret && (p == q || strings.HasPrefix(p, q+"/")) {
			return true
		}
	}
	return false
}
