package sftpsource

import (
	"context"
	"fmt"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/sshpin"
)

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
	pin, err := sshpin.Load(s.cfg.SSHKeyFile, s.cfg.KnownHostsFile)
	if err != nil {
		return nil, fault.Transientf("sftp source: %w", err)
	}
	return pin.ClientConfig(s.cfg.User, s.cfg.Address, s.cfg.IOTimeout), nil
}
