package gitsource

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	skeema "github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/berth-nix/berth/internal/fault"
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
	key, err := os.ReadFile(s.cfg.SSHKeyFile)
	if err != nil {
		return nil, fault.Transientf("git source: ssh key file: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		// The error names the key type at most, never its content.
		return nil, fault.Transientf("git source: ssh key file %s: %v", s.cfg.SSHKeyFile, err)
	}
	check, err := knownhosts.New(s.cfg.KnownHostsFile)
	if err != nil {
		return nil, fault.Transientf("git source: known_hosts file: %w", err)
	}
	db, err := skeema.NewDB(s.cfg.KnownHostsFile)
	if err != nil {
		return nil, fault.Transientf("git source: known_hosts file: %w", err)
	}
	a := &sshKeyAuth{user: gitssh.DefaultUsername, signer: signer, check: check, db: db, timeout: s.cfg.Timeout}
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
	signer  ssh.Signer
	check   ssh.HostKeyCallback
	db      *skeema.HostKeyDB
	timeout time.Duration
	// addr is the server's host:port as known_hosts names it.
	addr string
}

func (a *sshKeyAuth) Name() string   { return "ssh-deploy-key" }
func (a *sshKeyAuth) String() string { return "ssh deploy key for user " + a.user }

// ClientConfig offers only the host key algorithms pinned for the server,
// so that it presents the key known_hosts holds rather than another type.
func (a *sshKeyAuth) ClientConfig() (*ssh.ClientConfig, error) {
	return &ssh.ClientConfig{
		User:              a.user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(a.signer)},
		HostKeyCallback:   a.verify,
		HostKeyAlgorithms: a.db.HostKeyAlgorithms(a.addr),
		Timeout:           a.timeout,
	}, nil
}

// verify checks the server's key against known_hosts with a clear error.
func (a *sshKeyAuth) verify(host string, remote net.Addr, key ssh.PublicKey) error {
	err := a.check(host, remote, key)
	var ke *knownhosts.KeyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ke) && len(ke.Want) == 0:
		return fmt.Errorf("%w: host %s is not in the known_hosts file (%s key %s); refusing to trust it on first use",
			errHostKey, host, key.Type(), ssh.FingerprintSHA256(key))
	case errors.As(err, &ke):
		return fmt.Errorf("%w: host key for %s CHANGED: server offered %s key %s, known_hosts pins %s; refusing to connect",
			errHostKey, host, key.Type(), ssh.FingerprintSHA256(key), pinned(ke.Want))
	}
	return fmt.Errorf("%w: %s: %v", errHostKey, host, err)
}

// errHostKey marks host key verification failures.
var errHostKey = errors.New("ssh host key verification failed")

func pinned(keys []knownhosts.KnownKey) string {
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s %s (%s:%d)", k.Key.Type(), ssh.FingerprintSHA256(k.Key), k.Filename, k.Line))
	}
	return strings.Join(out, ", ")
}
