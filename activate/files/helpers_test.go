package files

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/testenv"
)

// node is one path of a test tree: a file (content), a link (link) or a
// directory (dir).
type node struct {
	content string
	mode    fs.FileMode
	link    string
	dir     bool
}

func file(content string) node { return node{content: content, mode: 0o644} }

// fx is an Installer over a temporary root, with staged trees made on
// demand, as the source stages them.
type fx struct {
	t     *testing.T
	in    *Installer
	root  string
	stage string
	n     int
}

func newFx(t *testing.T) *fx {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "needs root to chown")
	}
	d := t.TempDir()
	f := &fx{t: t, root: filepath.Join(d, "root"), stage: filepath.Join(d, "stage")}
	f.in = &Installer{Root: f.root, StateDir: filepath.Join(d, "state")}
	for _, p := range []string{f.root, f.stage} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// tree stages a files tree and a files.yaml (skipped when empty) and
// returns their paths.
func (f *fx) tree(nodes map[string]node, meta string) (string, string) {
	f.t.Helper()
	f.n++
	base := filepath.Join(f.stage, fmt.Sprint(f.n))
	files, metaPath := filepath.Join(base, "files"), filepath.Join(base, "flake", MetaFile)
	must(f.t, os.MkdirAll(files, 0o755))
	must(f.t, os.MkdirAll(filepath.Dir(metaPath), 0o755))
	if meta != "" {
		must(f.t, os.WriteFile(metaPath, []byte(meta), 0o644))
	}
	for p, n := range nodes {
		writeNode(f.t, filepath.Join(files, p), n)
	}
	return files, metaPath
}

func writeNode(t *testing.T, p string, n node) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	switch {
	case n.dir:
		must(t, os.MkdirAll(p, 0o755))
	case n.link != "":
		must(t, os.Symlink(n.link, p))
	default:
		must(t, os.WriteFile(p, []byte(n.content), 0o600))
		must(t, os.Chmod(p, n.mode))
	}
}

// deploy plans and installs a tree for attempt id, failing the test on
// any error.
func (f *fx) deploy(id string, nodes map[string]node, meta string) *Plan {
	f.t.Helper()
	p, err := f.in.Plan(f.tree(nodes, meta))
	if err != nil {
		f.t.Fatalf("plan: %v", err)
	}
	if err := f.in.Install(id, p); err != nil {
		f.t.Fatalf("install: %v", err)
	}
	return p
}

// state describes every path under the root: "kind mode uid:gid content".
func (f *fx) state() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(f.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == f.root {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		uid, gid := owner(fi)
		desc := fmt.Sprintf("%s %v %d:%d", kindOf(fi), fi.Mode()&permBits, uid, gid)
		switch kindOf(fi) {
		case KindFile:
			data, _ := os.ReadFile(p)
			desc += " " + string(data)
		case KindLink:
			l, _ := os.Readlink(p)
			desc = fmt.Sprintf("link -> %s %d:%d", l, uid, gid)
		}
		out["/"+filepath.ToSlash(strings.TrimPrefix(p, f.root+"/"))] = desc
		return nil
	})
	must(f.t, err)
	return out
}

func (f *fx) put(p, content string, mode fs.FileMode) {
	f.t.Helper()
	t := filepath.Join(f.root, p)
	must(f.t, os.MkdirAll(filepath.Dir(t), 0o755))
	must(f.t, os.WriteFile(t, []byte(content), mode))
	must(f.t, os.Chmod(t, mode))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
