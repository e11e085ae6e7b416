package gitsource

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/berth-nix/berth/internal/testserver"
)

// newFleetRepo is a pushed text-only fleet repository: hosts/host-NNN
// directories of a few small files each.
func newFleetRepo(t *testing.T, hosts int) *testserver.Repo {
	repo := testserver.NewRepo(t)
	for i := range hosts {
		dir := fmt.Sprintf("hosts/host-%03d/", i)
		repo.WriteFile(dir+"flake.nix", fmt.Sprintf("{ hostName = \"host-%03d\"; }\n", i))
		repo.WriteFile(dir+"files/etc/motd", fmt.Sprintf("welcome to host %d\n", i))
	}
	repo.WriteFile("hosts/laptop1/flake.nix", "{ }\n")
	repo.Commit("fleet")
	repo.Push()
	return repo
}

// gitFetchBytes is what the git CLI downloads for the same steps: a
// shallow clone, then (after change) a fetch of main.
func gitFetchBytes(t *testing.T, srv *testserver.GitHTTP, change func()) int64 {
	dir := filepath.Join(t.TempDir(), "clone.git")
	if _, err := testserver.Git("", "clone", "--quiet", "--bare", "--depth", "1", "--branch", "main", srv.URL(), dir); err != nil {
		t.Fatal(err)
	}
	change()
	srv.Reset()
	if _, err := testserver.Git(dir, "fetch", "--quiet", "--no-tags", "origin", "main"); err != nil {
		t.Fatal(err)
	}
	return srv.BytesIn() + srv.BytesOut()
}

// TestIncrementalFetchNearGit: after a commit that changes one file of
// another host, berth's poll and fetch together move at most twice the
// bytes of `git fetch origin main` (protocol version 2, thin pack, one
// "have"), and the fetched artifact is the new head.
func TestIncrementalFetchNearGit(t *testing.T) {
	repo := newFleetRepo(t, 500)
	repo.AddRefs("tags", 20)
	srv := testserver.StartGitHTTP(t, repo, "")
	s := newSource(t, baseConfig(t, srv.URL()))
	if _, err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := 0
	change := func() {
		n++
		repo.WriteFile("hosts/host-007/files/etc/motd", fmt.Sprintf("changed %d\n", n))
		repo.Commit(fmt.Sprintf("change %d", n))
		repo.Push()
	}
	git := gitFetchBytes(t, srv, change)

	change()
	srv.Reset()
	rev, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Fetch(context.Background())
	if err != nil || a.Revision != rev || rev != "main@sha1:"+repo.RemoteHead() {
		t.Fatalf("got %v, %v, want %v", a.Revision, err, repo.RemoteHead())
	}
	berth := srv.BytesIn() + srv.BytesOut()
	t.Logf("poll+fetch: berth %d bytes in %d requests, git fetch %d bytes", berth, srv.Requests(), git)
	if berth > 2*git {
		t.Errorf("berth moved %d bytes, want ≤ 2 × git's %d: %v", berth, git, srv.Log())
	}
	if got := srv.Requests(); got != 2 {
		t.Errorf("got %d requests for poll and fetch, want 2 (ls-refs, fetch): %v", got, srv.Log())
	}
}
