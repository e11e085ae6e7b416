package tree

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
)

// secret is the content of a file beside the repository: no resolved tree
// may ever contain it.
const secret = "outside the repository"

// FuzzResolve builds hostile repositories from a line-based description
// ("path=spec" per line, spec as in layout) next to a secret file, and
// checks that Resolve never panics, never reaches the secret, classifies
// every error, and returns sorted, unique, well-formed entries that stage.
func FuzzResolve(f *testing.F) {
	for _, seed := range []string{
		"h/a=1\nh/d/b=x:2",
		"h/x=->../../secret",
		"h/x=->../s\ns/y=->../../secret",
		"h/x=->/etc/passwd",
		"h/l=->l",
		"h/a=->b\nh/b=->a",
		"h/d/up=->../..\nh/f=1",
		"h/s=->../s\ns/t=->../h",
		"h/m=->../s/m\ns/m=->../h/n\nh/n=->../s/secret",
		"h/files=x\nh/a=1",
		"h/f=fifo",
		"h/d=/\nh/d/e=/\nh/d/e/f=->../../..",
		"h/a=->s/../../secret\nh/s=->../s\ns/t=1",
		"h=->s\ns/a=1",
		"h/a\nb=1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "secret"), []byte(secret), 0o644)
		repo := filepath.Join(dir, "repo")
		os.Mkdir(repo, 0o755)
		for _, line := range strings.Split(spec, "\n") {
			p, s, ok := strings.Cut(line, "=")
			if ok && fuzzPathOK(p) {
				full := filepath.Join(repo, p)
				os.MkdirAll(filepath.Dir(full), 0o755)
				create(full, s)
			}
		}
		tr, err := Resolve(dirFS(repo), "h", Limits{MaxFiles: 200, MaxBytes: 1 << 20, MaxDepth: 16})
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		checkFuzzTree(t, tr)
		if _, err := tr.Stage(filepath.Join(dir, "stage")); err != nil {
			t.Fatalf("Stage after Resolve: %v", err)
		}
	})
}

// fuzzPathOK keeps fuzzed paths inside the repository and short.
func fuzzPathOK(p string) bool {
	return len(p) < 64 && p != "" && !strings.HasPrefix(p, "/") &&
		!strings.Contains(p, "..") && !strings.ContainsRune(p, 0)
}

func checkFuzzErr(t *testing.T, err error) {
	if c := fault.ClassOf(err); c != fault.Stalling {
		t.Fatalf("got class %v for %v, want %v", c, err, fault.Stalling)
	}
	if errors.Is(err, ErrNoHostDir) && !strings.Contains(err.Error(), "h") {
		t.Fatalf("got %v, want the host dir named", err)
	}
}

func checkFuzzTree(t *testing.T, tr *Tree) {
	for i, e := range tr.Entries {
		if e.SHA256 == sha(secret) {
			t.Fatalf("%s reached the file outside the repository", e.Path)
		}
		if i > 0 && tr.Entries[i-1].Path >= e.Path {
			t.Fatalf("entries out of order or repeated: %q, %q", tr.Entries[i-1].Path, e.Path)
		}
		if strings.Count(e.Line(), "\n") != 1 {
			t.Fatalf("digest line %q is not one line", e.Line())
		}
	}
}
