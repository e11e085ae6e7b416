package manifest

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/source/tree"
)

// resolved resolves a small host directory written to disk.
func resolved(t testing.TB) *tree.Tree {
	t.Helper()
	root := t.TempDir()
	for rel, content := range map[string]string{
		"h/flake.nix":       "{ }\n",
		"h/files/etc/motd":  "hi\n",
		"h/bin/run":         "#!/bin/sh\n",
		"h/empty/.keep":     "",
		"h/files/etc/a-b/c": "x",
	} {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(root, "h/bin/run"), 0o755)
	tr, err := tree.Resolve(os.DirFS(root).(fs.ReadLinkFS), "h", tree.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestRoundTrip(t *testing.T) {
	tr := resolved(t)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	m := ForTree("laptop1", tr, 7, now)
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data, tree.Limits{})
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, data)
	}
	if got.Digest != tr.Digest() || got.Serial != 7 || !got.Published.Equal(now) || len(got.Files) != len(tr.Entries) {
		t.Errorf("got %+v, want digest %v serial 7 time %v and %d files", got, tr.Digest(), now, len(tr.Entries))
	}
	if want := "sftp@" + tr.Digest(); got.Revision() != want {
		t.Errorf("got revision %v, want %v", got.Revision(), want)
	}
	if want := "trees/" + strings.TrimPrefix(tr.Digest(), "sha256:"); got.TreeDir() != want {
		t.Errorf("got tree dir %v, want %v", got.TreeDir(), want)
	}
}

func TestRefusalRoundTrip(t *testing.T) {
	m := ForRefusal("laptop1", Refusal{Reason: "hosts/laptop1: not found", NoHostDir: true}, 3, time.Now())
	data, _ := m.Encode()
	got, err := Parse(data, tree.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Refused == nil || !got.Refused.NoHostDir || got.Revision() != "sftp@refused:3" || got.TreeDir() != "" {
		t.Errorf("got %+v, revision %v, want a no-host-dir refusal sftp@refused:3", got, got.Revision())
	}
}

func TestServerPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"flake.nix", "flake/flake.nix"},
		{"files", "files"},
		{"files/etc/motd", "files/etc/motd"},
		{"filesystem.nix", "flake/filesystem.nix"},
		{"common/files/x", "flake/common/files/x"},
	} {
		if got := ServerPath(c.in); got != c.want {
			t.Errorf("ServerPath(%q): got %v, want %v", c.in, got, c.want)
		}
	}
}

// TestParseRefuses edits a good manifest in one way each and checks the
// error names what is wrong.
func TestParseRefuses(t *testing.T) {
	tr := resolved(t)
	const sum = "0000000000000000000000000000000000000000000000000000000000000000"
	for _, c := range []struct {
		name string
		edit func(m *Manifest)
		want string
	}{
		{"version", func(m *Manifest) { m.Version = 2 }, "version"},
		{"no host", func(m *Manifest) { m.Host = "" }, "host"},
		{"bad digest", func(m *Manifest) { m.Digest = "sha1:abc" }, "digest"},
		{"digest mismatch", func(m *Manifest) { m.Files[len(m.Files)-1].SHA256 = sum }, "files add up to"},
		{"absolute", func(m *Manifest) { m.Files[0].Path = "/etc" }, "clean relative"},
		{"dotdot", func(m *Manifest) { m.Files[0].Path = "../x" }, "clean relative"},
		{"newline", func(m *Manifest) { m.Files[0].Path = "a\nb" }, "clean relative"},
		{"unsorted", func(m *Manifest) { n := len(m.Files); m.Files[n-2], m.Files[n-1] = m.Files[n-1], m.Files[n-2] }, "sorted"},
		{"duplicate", func(m *Manifest) { m.Files[1] = m.Files[0] }, "sorted"},
		{"orphan", func(m *Manifest) { m.Files = m.Files[1:] }, "directory is not listed"},
		{"mode", func(m *Manifest) { m.Files[0].Mode = "120777" }, "mode"},
		{"dir with hash", func(m *Manifest) { m.Files[0].SHA256 = sum }, "directory"},
		{"negative size", func(m *Manifest) { m.Files[len(m.Files)-1].Size = -1 }, "negative"},
		{"bad hash", func(m *Manifest) { m.Files[len(m.Files)-1].SHA256 = "ABC" }, "sha256"},
		{"refusal with files", func(m *Manifest) { m.Refused = &Refusal{Reason: "x"} }, "refusal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := ForTree("laptop1", tr, 1, time.Now())
			c.edit(m)
			data, _ := json.Marshal(m)
			_, err := Parse(data, tree.Limits{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	tr := resolved(t)
	data, _ := ForTree("laptop1", tr, 1, time.Now()).Encode()
	for _, c := range []struct {
		lim  tree.Limits
		want string
	}{
		{tree.Limits{MaxFiles: 2}, "entries"},
		{tree.Limits{MaxBytes: 3}, "bytes"},
		{tree.Limits{MaxDepth: 2}, "deeper"},
	} {
		if _, err := Parse(data, c.lim); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("limits %+v: got %v, want an error mentioning %q", c.lim, err, c.want)
		}
	}
}

func TestParseRefusesUnknownFieldsAndTrailingData(t *testing.T) {
	tr := resolved(t)
	data, _ := ForTree("laptop1", tr, 1, time.Now()).Encode()
	for _, bad := range []string{
		strings.Replace(string(data), `"version"`, `"extra": 1, "version"`, 1),
		string(data) + "{}",
		string(data[:len(data)/2]),
	} {
		if _, err := Parse([]byte(bad), tree.Limits{}); err == nil {
			t.Errorf("got no error for %.60q...", bad)
		}
	}
}
