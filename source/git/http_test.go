package gitsource

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testserver"
)

// httpRemote is a token-protected HTTP remote with one pushed commit and a
// Source whose token file holds the right token.
type httpRemote struct {
	repo  *testserver.Repo
	srv   *testserver.GitHTTP
	src   *Source
	token string // the token file's path
}

func newHTTPRemote(t *testing.T) *httpRemote {
	repo := testserver.NewRepo(t)
	repo.WriteFile("hosts/laptop1/flake.nix", "{ }")
	repo.Commit("first")
	repo.Push()
	srv := testserver.StartGitHTTP(t, repo, "good-token")
	cfg := baseConfig(t, srv.URL())
	cfg.TokenFile = writeToken(t, "good-token")
	return &httpRemote{repo: repo, srv: srv, src: newSource(t, cfg), token: cfg.TokenFile}
}

func wantClass(t *testing.T, err error, class fault.Class, words ...string) {
	t.Helper()
	if fault.ClassOf(err) != class {
		t.Fatalf("got %v (class %v), want class %v", err, fault.ClassOf(err), class)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got %q, want it to contain %q", err, w)
		}
	}
}

func TestHTTPPollIsOneRequest(t *testing.T) {
	h := newHTTPRemote(t)
	first, err := h.src.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Reset()
	second, err := h.src.Poll(context.Background())
	if err != nil || second != first {
		t.Fatalf("got %v, %v, want %v", second, err, first)
	}
	if got := h.srv.Requests(); got != 1 {
		t.Errorf("got %v requests for a poll, want 1: %v", got, h.srv.Log())
	}
	if want := "main@sha1:" + h.repo.Head(); first != want {
		t.Errorf("got %v, want %v", first, want)
	}
}

func TestHTTPTokenRotation(t *testing.T) {
	h := newHTTPRemote(t)
	h.srv.SetToken("rotated-token")
	_, err := h.src.Poll(context.Background())
	wantClass(t, err, fault.Transient, h.srv.URL(), "refused our credentials")
	if strings.Contains(err.Error(), "good-token") {
		t.Errorf("got %q, want no token in errors", err)
	}
	writeFile(t, h.token, "rotated-token\n")
	if _, err := h.src.Poll(context.Background()); err != nil {
		t.Errorf("Poll after rotating the token file: %v", err)
	}
	if _, err := h.src.Fetch(context.Background()); err != nil {
		t.Errorf("Fetch after rotating the token file: %v", err)
	}
}

func TestHTTPWrongToken(t *testing.T) {
	h := newHTTPRemote(t)
	writeFile(t, h.token, "wrong-token")
	_, err := h.src.Fetch(context.Background())
	wantClass(t, err, fault.Transient, "refused our credentials")
}

func TestHTTPServerDown(t *testing.T) {
	h := newHTTPRemote(t)
	h.srv.SetDown(true)
	_, err := h.src.Poll(context.Background())
	wantClass(t, err, fault.Transient, h.srv.URL())
	_, err = h.src.Fetch(context.Background())
	wantClass(t, err, fault.Transient, h.srv.URL())
	h.srv.SetDown(false)
	if _, err := h.src.Fetch(context.Background()); err != nil {
		t.Errorf("Fetch after the server came back: %v", err)
	}
}

func TestHTTPMissingBranch(t *testing.T) {
	h := newHTTPRemote(t)
	cfg := h.src.cfg
	cfg.Branch = "release"
	s := newSource(t, cfg)
	_, err := s.Poll(context.Background())
	wantClass(t, err, fault.Stalling, `branch "release" does not exist`)
	_, err = s.Fetch(context.Background())
	wantClass(t, err, fault.Stalling, `branch "release" does not exist`)
}

// TestHTTPFetchIsIncremental checks that a second fetch downloads only
// the new objects, not the large file fetched before.
func TestHTTPFetchIsIncremental(t *testing.T) {
	h := newHTTPRemote(t)
	big := make([]byte, 512<<10)
	rand.Read(big)
	h.repo.WriteFile("hosts/laptop1/big", hex.EncodeToString(big))
	h.repo.Commit("big")
	h.repo.Push()
	if _, err := h.src.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.repo.WriteFile("hosts/laptop1/flake.nix", "{ small = 1; }")
	h.repo.Commit("small")
	h.repo.Push()
	h.srv.Reset()
	a, err := h.src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := h.srv.BytesOut(); got > 64<<10 {
		t.Errorf("got %v bytes sent for a small commit, want far less than the 1 MiB file", got)
	}
	if a.Size < 1<<20 {
		t.Errorf("got size %v, want the big file still staged", a.Size)
	}
}

// TestTimeout points the source at a server that accepts connections and
// never answers: every operation must give up after Timeout.
func TestTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	for _, url := range []string{
		"http://" + ln.Addr().String() + "/fleet.git",
		"ssh://git@" + ln.Addr().String() + "/fleet.git",
	} {
		cfg := baseConfig(t, url)
		cfg.Timeout = 500 * time.Millisecond
		if strings.HasPrefix(url, "ssh:") {
			cfg.SSHKeyFile, cfg.KnownHostsFile = sshKeyFile(t), filepath.Join(t.TempDir(), "known_hosts")
			writeFile(t, cfg.KnownHostsFile, "")
		}
		s := newSource(t, cfg)
		start := time.Now()
		_, err := s.Poll(context.Background())
		wantClass(t, err, fault.Transient, "gave up after 500ms")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("got %v, want Poll to give up after about 500ms", d)
		}
	}
}
