package files

import (
	"io/fs"
	"strings"
	"testing"
)

func TestParseMetaModes(t *testing.T) {
	tests := []struct {
		doc  string
		want fs.FileMode
	}{
		{"/a:\n  mode: \"0640\"\n", 0o640},
		{"/a:\n  mode: 0640\n", 0o640},
		{"/a:\n  mode: 640\n", 0o640},
		{"/a:\n  mode: 0o600\n", 0o600},
		{"/a:\n  mode: \"4755\"\n", 0o755 | fs.ModeSetuid},
		{"/a:\n  mode: \"2750\"\n", 0o750 | fs.ModeSetgid},
		{"/a:\n  mode: \"1777\"\n", 0o777 | fs.ModeSticky},
	}
	for _, tt := range tests {
		m, err := parseMeta([]byte(tt.doc))
		if err != nil {
			t.Errorf("%q: %v", tt.doc, err)
			continue
		}
		if got := fs.FileMode(*m["/a"].Mode); got != tt.want {
			t.Errorf("%q: got %v, want %v", tt.doc, got, tt.want)
		}
	}
}

func TestEscapes(t *testing.T) {
	tests := []struct {
		dir, target string
		want        bool
	}{
		{"/etc", "x", false},
		{"/etc", "../x", false},
		{"/etc", "../../x", true},
		{"/etc/a", "../../etc/b", false},
		{"/", "..", true},
		{"/etc", "a/../../..", true},
		{"/etc", "./././x", false},
	}
	for _, tt := range tests {
		if got := escapes(tt.dir, tt.target); got != tt.want {
			t.Errorf("escapes(%q, %q): got %v, want %v", tt.dir, tt.target, got, tt.want)
		}
	}
}

// FuzzParseMeta: files.yaml comes from the repository; whatever it holds,
// parsing returns an error or paths that are absolute and clean.
func FuzzParseMeta(f *testing.F) {
	f.Add([]byte(secretMeta))
	f.Add([]byte("/a:\n  mode: 99999\n"))
	f.Add([]byte("- x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMeta(data)
		if err != nil {
			return
		}
		for p, a := range m {
			if !strings.HasPrefix(p, "/") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/") {
				t.Errorf("accepted path %q", p)
			}
			if a.Mode != nil && fs.FileMode(*a.Mode)&^permBits != 0 {
				t.Errorf("accepted mode %v", fs.FileMode(*a.Mode))
			}
		}
	})
}
