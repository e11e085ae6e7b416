package reconciler

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func umask(m int) int { return syscall.Umask(m) }

// State, the lineage anchor, history records and attempt logs hold what
// the host runs and why: root-only, whatever the umask.
func TestStateFilesAreRootOnly(t *testing.T) {
	old := umask(0)
	defer umask(old)
	src := &fakeSource{art: art("c1", "sha256:d1")}
	r := newRec(t, src, &fakeApplier{res: applied})
	r.Run(context.Background(), Options{})
	dir := filepath.Dir(r.Store.Path)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm()&^want != 0 {
			t.Errorf("%s: got mode %v, want at most %v", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{r.Store.Path, r.Store.Anchor().Path} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%v: want the file written", err)
		}
	}
}
