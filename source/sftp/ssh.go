package sftpsource

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/pkg/sftp"
	skeema "github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/berth-nix/berth/internal/fault"
)

// errHostKey marks host key verification failures.
var errHostKey = errors.New("ssh host key verification failed")

// session is one SSH connection with its SFTP client. Every request runs
// under the watchdog, which drops the connection when the server goes
// silent for IOTimeout; the context's end drops it too.
type session struct {
	conn *watchedConn
	ssh  *ssh.Client
	sftp *sftp.Client
	stop func() bool
}

// connect dials the server, verifies its host key, logs in with the key
// and starts the SFTP subsystem.
func (s *Source) connect(ctx context.Context) (*session, error) {
	cc, err := s.clientConfig()
	if err != nil {
		return nil, err
	}
	raw, err := s.cfg.Dial(ctx, "tcp", s.cfg.Address)
	if err != nil {
		return nil, s.netErr(ctx, "connect", err, nil)
	}
	conn := watch(raw, s.cfg.IOTimeout)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	sess, err := s.handshake(conn, cc)
	if err != nil {
		stop()
		conn.Close()
		return nil, s.netErr(ctx, "connect", err, conn)
	}
	sess.stop = stop
	return sess, nil
}

func (s *Source) handshake(conn *watchedConn, cc *ssh.ClientConfig) (*session, error) {
	conn.arm()
	defer conn.disarm()
	c, chans, reqs, err := ssh.NewClientConn(conn, s.cfg.Address, cc)
	if err != nil {
		return nil, err
	}
	client := ssh.NewClient(c, chans, reqs)
	sc, err := sftp.NewClient(client)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("starting the sftp subsystem: %w", err)
	}
	return &session{conn: conn, ssh: client, sftp: sc}, nil
}

// Close ends the session.
func (ss *session) Close() {
	ss.stop()
	ss.sftp.Close()
	ss.ssh.Close()
}

// do runs one request against the server under the watchdog.
func (ss *session) do(f func() error) error {
	ss.conn.arm()
	defer ss.conn.disarm()
	return f()
}

// clientConfig reads the key and known_hosts files afresh, so that a
// rotated key or a re-pinned server is picked up without a restart.
func (s *Source) clientConfig() (*ssh.ClientConfig, error) {
	key, err := os.ReadFile(s.cfg.SSHKeyFile)
	if err != nil {
		return nil, fault.Transientf("sftp source: ssh key file: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		// The error names the key type at most, never its content.
		return nil, fault.Transientf("sftp source: ssh key file %s: %v", s.cfg.SSHKeyFile, err)
	}
	check, err := knownhosts.New(s.cfg.KnownHostsFile)
	if err != nil {
		return nil, fault.Transientf("sftp source: known_hosts file: %w", err)
	}
	db, err := skeema.NewDB(s.cfg.KnownHostsFile)
	if err != nil {
		return nil, fault.Transientf("sftp source: known_hosts file: %w", err)
	}
	return &ssh.ClientConfig{
		User:              s.cfg.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   verifier(check),
		HostKeyAlgorithms: db.HostKeyAlgorithms(s.cfg.Address),
		Timeout:           s.cfg.IOTimeout,
	}, nil
}

// verifier accepts only keys pinned in known_hosts, with an error that
// tells an unknown server from a changed key.
func verifier(check ssh.HostKeyCallback) ssh.HostKeyCallback {
	return func(host string, remote net.Addr, key ssh.PublicKey) error {
		err := check(host, remote, key)
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
}

func pinned(keys []knownhosts.KnownKey) string {
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s %s (%s:%d)", k.Key.Type(), ssh.FingerprintSHA256(k.Key), k.Filename, k.Line))
	}
	return strings.Join(out, ", ")
}
