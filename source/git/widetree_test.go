package gitsource

import (
	"fmt"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/source/tree"
)

// countingStorage counts the objects read from a real repository.
type countingStorage struct {
	storage.Storer
	reads atomic.Int64
}

func (s *countingStorage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	s.reads.Add(1)
	return s.Storer.EncodedObject(t, h)
}

// wideRepo commits a host whose files/etc/many holds n tiny files.
func wideRepo(tb testing.TB, n int) *testserver.Repo {
	tb.Helper()
	repo := testserver.NewRepo(tb)
	repo.WriteFile("hosts/laptop1/flake.nix", "{ }")
	for i := range n {
		repo.WriteFile(fmt.Sprintf("hosts/laptop1/files/etc/many/f%06d", i), fmt.Sprint(i))
	}
	repo.Commit("wide")
	return repo
}

// countedFS opens the work clone's head as a commitFS whose object reads
// are counted.
func countedFS(tb testing.TB, repo *testserver.Repo) (commitFS, *countingStorage) {
	tb.Helper()
	r, err := git.PlainOpen(repo.WorkDir())
	if err != nil {
		tb.Fatal(err)
	}
	st := &countingStorage{Storer: r.Storer}
	c, err := object.GetCommit(st, plumbing.NewHash(repo.Head()))
	if err != nil {
		tb.Fatal(err)
	}
	root, err := c.Tree()
	if err != nil {
		tb.Fatal(err)
	}
	return newCommitFS(root, st, c.Committer.When), st
}

// TestWideTreeIsRefusedEarly: a directory listing more entries than
// source.max_files is refused as soon as its tree is read, naming it,
// without reading its blobs (or decoding its tree once per entry).
func TestWideTreeIsRefusedEarly(t *testing.T) {
	fsys, st := countedFS(t, wideRepo(t, 3000))
	_, err := tree.Resolve(fsys, "hosts/laptop1", tree.Limits{MaxFiles: 1000})
	want := "hosts/laptop1: more than 1000 files and directories (hosts/laptop1/files/etc/many alone lists 3000)"
	if fault.ClassOf(err) != fault.Stalling || err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	if n := st.reads.Load(); n > 20 {
		t.Errorf("%d objects read before the refusal, want a handful of trees", n)
	}
}

// BenchmarkResolveWideTree resolves a host whose files/ holds 5,000 tiny
// files in one directory: one tree decode and one blob read per file.
func BenchmarkResolveWideTree(b *testing.B) {
	repo := wideRepo(b, 5000)
	for b.Loop() {
		fsys, _ := countedFS(b, repo)
		if _, err := tree.Resolve(fsys, "hosts/laptop1", tree.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDotDotEntryIsNamed: a crafted tree holding an entry named ".." is
// refused with an error naming that entry, not a path it would lead to.
func TestDotDotEntryIsNamed(t *testing.T) {
	repo := testserver.NewRepo(t)
	repo.WriteFile("hosts/laptop1/flake.nix", "{ }")
	repo.Commit("base")
	git := func(stdin string, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Stdin = repo.WorkDir(), strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	blob := git("x", "hash-object", "-w", "--stdin")
	etc := git(fmt.Sprintf("100644 blob %s\t..\n100644 blob %s\tmotd\n", blob, blob), "mktree")
	files := git(fmt.Sprintf("040000 tree %s\tetc\n", etc), "mktree")
	host := git(fmt.Sprintf("100644 blob %s\tflake.nix\n040000 tree %s\tfiles\n", git("", "rev-parse", "HEAD:hosts/laptop1/flake.nix"), files), "mktree")
	hosts := git(fmt.Sprintf("040000 tree %s\tlaptop1\n", host), "mktree")
	root := git(fmt.Sprintf("040000 tree %s\thosts\n", hosts), "mktree")
	git("", "update-ref", "HEAD", git("", "commit-tree", root, "-p", "HEAD", "-m", "dot-dot"))

	_, err := tree.Resolve(commitFSOf(t, repo), "hosts/laptop1", tree.Limits{})
	want := `hosts/laptop1/files/etc/..: an entry named ".." is not allowed`
	if fault.ClassOf(err) != fault.Stalling || err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
