// Package sshpin loads an SSH client's key and the server keys pinned for
// it in a known_hosts file. The git and SFTP sources both connect with it,
// so both refuse an unknown server or a changed key with the same words.
package sshpin

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	skeema "github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// ErrHostKey marks host key verification failures.
var ErrHostKey = errors.New("ssh host key verification failed")

// Pin is a private key and the known_hosts file that pins the servers it
// may talk to.
type Pin struct {
	Signer ssh.Signer
	check  ssh.HostKeyCallback
	db     *skeema.HostKeyDB
}

// Load reads keyFile and knownHostsFile. Callers load afresh for every
// connection, so a rotated key or a re-pinned server is picked up without
// a restart. Errors name the files, never the key's content.
func Load(keyFile, knownHostsFile string) (*Pin, error) {
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("ssh key file: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		// x/crypto's error names the key type at most.
		return nil, fmt.Errorf("ssh key file %s: %v", keyFile, err)
	}
	check, err := knownhosts.New(knownHostsFile)
	if err != nil {
		return nil, fmt.Errorf("known_hosts file: %w", err)
	}
	db, err := skeema.NewDB(knownHostsFile)
	if err != nil {
		return nil, fmt.Errorf("known_hosts file: %w", err)
	}
	return &Pin{Signer: signer, check: check, db: db}, nil
}

// ClientConfig authenticates as user with the key and accepts only the
// keys pinned for addr (host:port as known_hosts names it). It offers only
// the pinned key algorithms, so the server presents the key known_hosts
// holds rather than one of another type.
func (p *Pin) ClientConfig(user, addr string, timeout time.Duration) *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(p.Signer)},
		HostKeyCallback:   p.Verify,
		HostKeyAlgorithms: p.db.HostKeyAlgorithms(addr),
		Timeout:           timeout,
	}
}

// Verify checks the server's key against known_hosts, telling an unknown
// server from a changed key; both errors wrap ErrHostKey.
func (p *Pin) Verify(host string, remote net.Addr, key ssh.PublicKey) error {
	err := p.check(host, remote, key)
	var ke *knownhosts.KeyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ke) && len(ke.Want) == 0:
		return fmt.Errorf("%w: host %s is not in the known_hosts file (%s key %s); refusing to trust it on first use",
			ErrHostKey, host, key.Type(), ssh.FingerprintSHA256(key))
	case errors.As(err, &ke):
		return fmt.Errorf("%w: host key for %s CHANGED: server offered %s key %s, known_hosts pins %s; refusing to connect",
			ErrHostKey, host, key.Type(), ssh.FingerprintSHA256(key), pinned(ke.Want))
	}
	return fmt.Errorf("%w: %s: %v", ErrHostKey, host, err)
}

func pinned(keys []knownhosts.KnownKey) string {
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s %s (%s:%d)", k.Key.Type(), ssh.FingerprintSHA256(k.Key), k.Filename, k.Line))
	}
	return strings.Join(out, ", ")
}
