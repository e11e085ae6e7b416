package gitsource

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	git "github.com/go-git/go-git/v5"

	"github.com/berth-nix/berth/internal/testserver"
)

// commitFSOf opens the head commit of repo's work clone as a commitFS.
func commitFSOf(t *testing.T, repo *testserver.Repo) commitFS {
	r, err := git.PlainOpen(repo.WorkDir())
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.CommitObject(head.Hash())
	if err != nil {
		t.Fatal(err)
	}
	root, err := c.Tree()
	if err != nil {
		t.Fatal(err)
	}
	return newCommitFS(root, r.Storer, c.Committer.When)
}

func TestCommitFSIsAnFS(t *testing.T) {
	repo := testserver.NewRepo(t)
	repo.WriteFile("hosts/a/flake.nix", "{ }")
	repo.WriteFile("hosts/a/files/etc/motd", "hi")
	repo.WriteFile("modules/m.nix", "m")
	repo.Commit("tree")
	if err := fstest.TestFS(commitFSOf(t, repo), "hosts/a/flake.nix", "hosts/a/files/etc/motd", "modules/m.nix"); err != nil {
		t.Error(err)
	}
}

func TestCommitFSLinks(t *testing.T) {
	repo := testserver.NewRepo(t)
	repo.WriteFile("modules/m.nix", "m")
	repo.Symlink("hosts/a/m.nix", "../../modules/m.nix")
	repo.WriteFile("hosts/a/run", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(repo.WorkDir(), "hosts/a/run"), 0o755); err != nil {
		t.Fatal(err)
	}
	repo.Commit("links")
	fsys := commitFSOf(t, repo)
	tests := []struct {
		name string
		mode fs.FileMode
		size int64
	}{
		{"hosts/a/m.nix", fs.ModeSymlink | 0o777, int64(len("../../modules/m.nix"))},
		{"hosts/a/run", 0o755, 10},
		{"modules/m.nix", 0o644, 1},
		{"hosts", fs.ModeDir | 0o755, 0},
	}
	for _, tt := range tests {
		fi, err := fsys.Lstat(tt.name)
		if err != nil || fi.Mode() != tt.mode || fi.Size() != tt.size || fi.ModTime().Before(time.Unix(1, 0)) {
			t.Errorf("Lstat(%s): got %v, %v, want mode %v size %v", tt.name, fi, err, tt.mode, tt.size)
		}
	}
	if got, err := fsys.ReadLink("hosts/a/m.nix"); got != "../../modules/m.nix" || err != nil {
		t.Errorf("got %q, %v, want the link target", got, err)
	}
	if _, err := fsys.Open("hosts/a/m.nix"); !errors.Is(err, errLink) {
		t.Errorf("got %v, want links not followed", err)
	}
	for _, name := range []string{"hosts/b", "modules/m.nix/x", "hosts/a/m.nix/x"} {
		if _, err := fsys.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lstat(%s): got %v, want fs.ErrNotExist", name, err)
		}
	}
}
