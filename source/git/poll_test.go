package gitsource

import (
	"context"
	"testing"

	"github.com/berth-nix/berth/internal/testserver"
)

// manyRefs is how many references the remotes of the poll tests carry:
// a fleet repository with a tag per deployment.
const manyRefs = 2000

// newBusyRepo is a pushed repository with manyRefs tags and a branch whose
// name starts with the followed one ("main2"), which the poll must not
// mistake for it.
func newBusyRepo(t *testing.T) *testserver.Repo {
	repo := testserver.NewRepo(t)
	repo.WriteFile("hosts/laptop1/flake.nix", "{ }")
	repo.Commit("first")
	repo.Push()
	repo.AddRefs("tags", manyRefs)
	repo.WriteFile("hosts/laptop1/other.nix", "{ }")
	repo.Commit("on main2")
	if _, err := testserver.Git(repo.WorkDir(), "push", "--quiet", "origin", "HEAD:refs/heads/main2"); err != nil {
		t.Fatal(err)
	}
	repo.ResetHard("HEAD~1")
	return repo
}

// TestHTTPPollBytesIndependentOfRefs: against git http-backend with 2,000
// references, a no-op poll is one request of under 1 KB (protocol
// version 2 ls-refs), where the version 0 advertisement costs tens of KB.
func TestHTTPPollBytesIndependentOfRefs(t *testing.T) {
	repo := newBusyRepo(t)
	srv := testserver.StartGitHTTP(t, repo, "")
	s := newSource(t, baseConfig(t, srv.URL()))
	want := "main@sha1:" + repo.RemoteHead()
	for i := range 2 {
		srv.Reset()
		got, err := s.Poll(context.Background())
		if err != nil || got != want {
			t.Fatalf("poll %d: got %v, %v, want %v", i, got, err, want)
		}
		if n := srv.BytesIn() + srv.BytesOut(); n > 1024 {
			t.Errorf("poll %d: %d bytes on the wire, want ≤ 1024: %v", i, n, srv.Log())
		}
	}
	if got := srv.Requests(); got != 1 {
		t.Errorf("got %d requests for a repeated poll, want 1: %v", got, srv.Log())
	}

	// A server that does not speak version 2: the same answer, from the
	// whole version 0 advertisement.
	srv.SetProtocolV0(true)
	srv.Reset()
	if got, err := s.Poll(context.Background()); err != nil || got != want {
		t.Fatalf("version 0: got %v, %v, want %v", got, err, want)
	}
	if n := srv.BytesOut(); n < manyRefs*40 {
		t.Errorf("version 0: got %d bytes, want the whole advertisement (≥ %d); was version 2 used? %v", n, manyRefs*40, srv.Log())
	}
	if a, err := s.Fetch(context.Background()); err != nil || a.Revision != want {
		t.Fatalf("fetch from a version 0 server: got %v, %v, want %v", a.Revision, err, want)
	}
}

// TestSSHPollBytesIndependentOfRefs: over SSH with 2,000 references, the
// poll's git traffic is under 1 KB when sshd accepts GIT_PROTOCOL, and the
// poll still finds the head when it does not.
func TestSSHPollBytesIndependentOfRefs(t *testing.T) {
	repo := newBusyRepo(t)
	want := "main@sha1:" + repo.RemoteHead()
	for _, tc := range []struct {
		name     string
		start    func(testing.TB, *testserver.Repo) *testserver.GitSSH
		min, max int64
	}{
		{"version 2", testserver.StartGitSSH, 0, 1024},
		{"version 0", testserver.StartGitSSHProtocolV0, manyRefs * 40, 1 << 30},
	} {
		srv := tc.start(t, repo)
		cfg := baseConfig(t, srv.URL())
		cfg.SSHKeyFile, cfg.KnownHostsFile = srv.ClientKeyPath(), srv.KnownHostsPath()
		s := newSource(t, cfg)
		got, err := s.Poll(context.Background())
		if err != nil || got != want {
			t.Fatalf("%s: got %v, %v, want %v", tc.name, got, err, want)
		}
		w, err := s.dialWire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := s.lsRef(w)
		n := w.wireBytes()
		w.Close()
		if err != nil || "main@sha1:"+h.String() != want {
			t.Fatalf("%s: lsRef got %v, %v", tc.name, h, err)
		}
		if n < tc.min || n > tc.max {
			t.Errorf("%s: %d bytes of git protocol, want %d..%d", tc.name, n, tc.min, tc.max)
		}
		if a, err := s.Fetch(context.Background()); err != nil || a.Revision != want {
			t.Fatalf("%s: fetch got %v, %v, want %v", tc.name, a.Revision, err, want)
		}
	}

	// An incremental fetch over SSH (version 2: one have, a thin pack).
	srv := testserver.StartGitSSH(t, repo)
	cfg := baseConfig(t, srv.URL())
	cfg.SSHKeyFile, cfg.KnownHostsFile = srv.ClientKeyPath(), srv.KnownHostsPath()
	s := newSource(t, cfg)
	for i := range 2 {
		if i > 0 {
			repo.WriteFile("hosts/laptop1/flake.nix", "{ changed = true; }")
			repo.Commit("change")
			repo.Push()
		}
		rev, err := s.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Fetch(context.Background())
		if err != nil || a.Revision != rev || rev != "main@sha1:"+repo.RemoteHead() {
			t.Fatalf("fetch %d over ssh: got %v, %v, want %v", i, a.Revision, err, repo.RemoteHead())
		}
	}
}
