package gitsource

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testserver"
)

func newSSHRemote(t *testing.T) (*testserver.GitSSH, Config) {
	repo := testserver.NewRepo(t)
	repo.WriteFile("hosts/laptop1/flake.nix", "{ }")
	repo.Commit("first")
	repo.Push()
	srv := testserver.StartGitSSH(t, repo)
	cfg := baseConfig(t, srv.URL())
	cfg.SSHKeyFile, cfg.KnownHostsFile = srv.ClientKeyPath(), srv.KnownHostsPath()
	return srv, cfg
}

func TestSSHDeployKey(t *testing.T) {
	_, cfg := newSSHRemote(t)
	s := newSource(t, cfg)
	rev, err := s.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Fetch(context.Background())
	if err != nil || a.Revision != rev {
		t.Fatalf("got %v, %v, want revision %v", a.Revision, err, rev)
	}
}

func TestSSHChangedHostKeyRefused(t *testing.T) {
	srv, cfg := newSSHRemote(t)
	s := newSource(t, cfg)
	if _, err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.RotateHostKey()
	_, err := s.Poll(context.Background())
	wantClass(t, err, fault.Transient, "host key for", "CHANGED", "refusing to connect")
	_, err = s.Fetch(context.Background())
	wantClass(t, err, fault.Transient, "CHANGED")
}

func TestSSHUnknownHostRefused(t *testing.T) {
	_, cfg := newSSHRemote(t)
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(cfg.KnownHostsFile, nil, 0o644)
	_, err := newSource(t, cfg).Poll(context.Background())
	wantClass(t, err, fault.Transient, "not in the known_hosts file", "refusing to trust it on first use")
}

func TestSSHWrongKeyRefused(t *testing.T) {
	srv, cfg := newSSHRemote(t)
	// A second server's client key is not authorised on the first.
	other, _ := newSSHRemote(t)
	cfg.SSHKeyFile = other.ClientKeyPath()
	_, err := newSource(t, cfg).Poll(context.Background())
	wantClass(t, err, fault.Transient, srv.Addr(), "refused our credentials")
}
