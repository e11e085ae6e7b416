package tree

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testenv"
)

func resolve(t *testing.T, repo string) *Tree {
	t.Helper()
	tr, err := Resolve(dirFS(repo), "h", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestStageLayout(t *testing.T) {
	repo := write(t, layout{
		"h/flake.nix": "{}", "h/mods": "->../shared", "shared/m.nix": "m",
		"h/files/etc/motd": "hi", "h/files/bin/tool": "x:#!/bin/sh\n", "h/empty": "/",
	})
	tr := resolve(t, repo)
	root := filepath.Join(t.TempDir(), "stage")
	got, err := tr.Stage(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, strings.TrimPrefix(tr.Digest(), "sha256:")); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	tests := []struct {
		path string
		mode os.FileMode
		body string
	}{
		{".", os.ModeDir | 0o700, ""},
		{"flake", os.ModeDir | 0o755, ""},
		{"flake/flake.nix", 0o644, "{}"},
		{"flake/mods/m.nix", 0o644, "m"},
		{"flake/empty", os.ModeDir | 0o755, ""},
		{"files/etc/motd", 0o644, "hi"},
		{"files/bin/tool", 0o755, "#!/bin/sh\n"},
	}
	for _, tt := range tests {
		fi, err := os.Lstat(filepath.Join(got, tt.path))
		if err != nil {
			t.Errorf("%s: %v", tt.path, err)
			continue
		}
		if fi.Mode() != tt.mode {
			t.Errorf("%s: got mode %v, want %v", tt.path, fi.Mode(), tt.mode)
		}
		if body, _ := os.ReadFile(filepath.Join(got, tt.path)); !fi.IsDir() && string(body) != tt.body {
			t.Errorf("%s: got %q, want %q", tt.path, body, tt.body)
		}
	}
	if _, err := os.Stat(filepath.Join(got, "flake", "files")); !os.IsNotExist(err) {
		t.Errorf("got %v for flake/files, want it absent", err)
	}
}

func TestStageReusesCompleteDir(t *testing.T) {
	repo := write(t, layout{"h/a": "1"})
	tr := resolve(t, repo)
	root := t.TempDir()
	first, err := tr.Stage(root)
	if err != nil {
		t.Fatal(err)
	}
	// With the source gone, only reuse can succeed.
	os.RemoveAll(repo)
	second, err := tr.Stage(root)
	if err != nil || second != first {
		t.Fatalf("got %v, %v, want %v, nil", second, err, first)
	}
}

func TestStageSourceChanged(t *testing.T) {
	repo := write(t, layout{"h/a": "1"})
	tr := resolve(t, repo)
	os.WriteFile(filepath.Join(repo, "h/a"), []byte("2"), 0o644)
	root := t.TempDir()
	_, err := tr.Stage(root)
	if fault.ClassOf(err) != fault.Transient || !strings.Contains(err.Error(), "changed since") {
		t.Fatalf("got %v, want a transient 'changed since' error", err)
	}
	assertEmpty(t, root)
}

// TestStageDiskFull fills a real, small tmpfs.
func TestStageDiskFull(t *testing.T) {
	root := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", root).CombinedOutput(); err != nil {
		testenv.Missing(t, fmt.Sprintf("cannot mount a tmpfs: %v %s", err, out))
	}
	t.Cleanup(func() { exec.Command("umount", root).Run() })
	repo := write(t, layout{"h/big": strings.Repeat("x", 512<<10)})
	_, err := resolve(t, repo).Stage(root)
	if fault.ClassOf(err) != fault.Transient || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v, want a transient 'disk full' error", err)
	}
	assertEmpty(t, root)
}

func TestPrune(t *testing.T) {
	root := t.TempDir()
	var staged []string
	for _, body := range []string{"1", "2", "3"} {
		p, err := resolve(t, write(t, layout{"h/a": body})).Stage(root)
		if err != nil {
			t.Fatal(err)
		}
		staged = append(staged, p)
	}
	os.Mkdir(filepath.Join(root, tempPrefix+"123"), 0o700)
	os.WriteFile(filepath.Join(root, "unrelated"), nil, 0o644)
	digest := "sha256:" + filepath.Base(staged[0])
	if err := Prune(root, []string{digest, staged[2]}); err != nil {
		t.Fatal(err)
	}
	var got []string
	list, _ := os.ReadDir(root)
	for _, de := range list {
		got = append(got, de.Name())
	}
	want := []string{filepath.Base(staged[0]), filepath.Base(staged[2]), "unrelated"}
	slices.Sort(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v, want %v", got, want)
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil || len(list) != 0 {
		t.Errorf("got %v, %v in %s, want it empty", list, err, dir)
	}
}
