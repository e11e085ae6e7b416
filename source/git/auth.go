package gitsource

import (
	"cmp"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/sshpin"
)

// auth builds the credentials for one network operation, reading the
// token or key files afresh so that rotated credentials are picked up.
func (s *Source) auth() (transport.AuthMethod, error) {
	switch s.kind {
	case kindHTTP:
		return s.tokenAuth()
	case kindSSH:
		return s.sshAuth()
	}
	return nil, nil
}

func (s *Source) tokenAuth() (transport.AuthMethod, error) {
	if s.cfg.TokenFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(s.cfg.TokenFile)
	if err != nil {
		return nil, fault.Transientf("git source: token file: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return nil, fault.Transientf("git source: token file %s is empty", s.cfg.TokenFile)
	}
	return &githttp.BasicAuth{Username: s.cfg.HTTPUser, Password: token}, nil
}

func (s *Source) sshAuth() (transport.AuthMethod, error) {
	pin, err := sshpin.Load(s.cfg.SSHKeyFile, s.cfg.KnownHostsFile)
	if err != nil {
		return nil, fault.Transientf("git source: %w", err)
	}
	a := &sshKeyAuth{user: gitssh.DefaultUsername, pin: pin, timeout: s.cfg.Timeout}
	if ep, err := transport.NewEndpoint(s.cfg.URL); err == nil {
		a.addr = net.JoinHostPort(ep.Host, strconv.Itoa(cmp.Or(ep.Port, 22)))
		a.user = cmp.Or(ep.User, a.user)
	}
	return a, nil
}

// sshKeyAuth authenticates with a deploy key and accepts only the host
// keys pinned in a known_hosts file: an unknown host or a changed key is
// refused, never trusted on first use.
type sshKeyAuth struct {
	user    string
	pin     *sshpin.Pin
	timeout time.Duration
	// addr is the server's host:port as known_hosts names it.
	addr string
}

func (a *sshKeyAuth) Name() string   { return "ssh-deploy-key" }
func (a *sshKeyAuth) String() string { return "ssh deploy key for user " + a.user }

// ClientConfig is go-git's hook for the SSH client configuration.
func (a *sshKeyAuth) ClientConfig() (*ssh.ClientConfig, error) {
	return a.pin.ClientConfig(a.user, a.addr, a.timeout), nil
}
