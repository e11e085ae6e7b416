package tree

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
)

// A huge file is refused from its size alone: it is never read, so it
// costs neither time nor disk. The file is sparse: 10 GiB that occupy
// nothing on the test machine.
func TestResolveRefusesHugeFileWithoutReadingIt(t *testing.T) {
	root := write(t, layout{"h/flake.nix": "{ }"})
	huge := filepath.Join(root, "h", "files", "huge")
	if err := os.MkdirAll(filepath.Dir(huge), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(10 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	start := time.Now()
	_, err = Resolve(dirFS(root), "h", Limits{})
	if err == nil || fault.ClassOf(err) != fault.Stalling || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v, want a stalling refusal of the size", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s: the file was read", d)
	}
}

// An absurdly deep tree is refused at the default depth limit.
func TestResolveRefusesDeepTreeByDefault(t *testing.T) {
	deep := "h/" + strings.Repeat("d/", DefaultMaxDepth+1) + "f"
	_, err := Resolve(dirFS(write(t, layout{deep: "x"})), "h", Limits{})
	if err == nil || !strings.Contains(err.Error(), "deeper than") {
		t.Fatalf("got %v, want a depth refusal", err)
	}
}

// The staging root is root-only: staged trees hold the host's files/,
// which may include secrets that must not be world-readable.
func TestStageRootIsPrivate(t *testing.T) {
	tr, err := Resolve(dirFS(write(t, layout{"h/flake.nix": "{ }", "h/files/etc/secret": "s"})), "h", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "stage")
	if _, err := tr.Stage(root); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(root)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("got %v, %v, want mode 0700", fi.Mode(), err)
	}
}
