package sftpsource

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/source/conformance"
	"github.com/berth-nix/berth/source/publish"
)

// sftpUser is the SFTP account of the tests' host; the chroots directory
// given to publish maps the host name to its chroot with a symlink.
const sftpUser = "berth-sftp1"

// server is a real chrooted sshd, a fleet directory on disk and a
// chroots directory for publish.
type server struct {
	t       testing.TB
	sftp    *testserver.SFTP
	fleet   string
	chroots string
}

func newServer(t testing.TB) *server {
	t.Helper()
	s := &server{t: t, sftp: testserver.StartSFTP(t, sftpUser), fleet: t.TempDir(), chroots: t.TempDir()}
	if err := os.Symlink(s.sftp.ChrootDir(sftpUser), filepath.Join(s.chroots, conformance.Host)); err != nil {
		t.Fatal(err)
	}
	return s
}

// configDir is the host's published configuration directory.
func (s *server) configDir() string { return filepath.Join(s.sftp.ChrootDir(sftpUser), "config") }

// config is a Source configuration for the host with fresh local dirs.
func (s *server) config() Config {
	dir := s.t.TempDir()
	return Config{
		Address: s.sftp.Addr(), User: sftpUser,
		SSHKeyFile: s.sftp.ClientKeyPath(sftpUser), KnownHostsFile: s.sftp.KnownHostsPath(),
		Host: conformance.Host, StateDir: filepath.Join(dir, "state"), StageDir: filepath.Join(dir, "stage"),
		Timeout: time.Minute,
	}
}

func (s *server) source(c Config) *Source {
	s.t.Helper()
	src, err := New(c)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { src.Close() })
	return src
}

func (s *server) writeFile(rel, content string) {
	s.t.Helper()
	p := filepath.Join(s.fleet, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *server) symlink(rel, target string) {
	s.t.Helper()
	p := filepath.Join(s.fleet, rel)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.Symlink(target, p); err != nil {
		s.t.Fatal(err)
	}
}

// publish publishes every host and fails the test on a failed one.
func (s *server) publish() []publish.Result {
	s.t.Helper()
	res, err := publish.Run(context.Background(), publish.Options{Fleet: s.fleet, Chroots: s.chroots})
	if err != nil {
		s.t.Fatalf("publish: %v", err)
	}
	for _, r := range res {
		if r.Action == publish.Failed {
			s.t.Fatalf("publish %s: %s", r.Host, r.Reason)
		}
	}
	return res
}

func (s *server) fixture() conformance.Fixture {
	return conformance.Fixture{
		Source:    s.source(s.config()),
		WriteFile: s.writeFile,
		Symlink:   s.symlink,
		Remove:    func(rel string) { os.RemoveAll(filepath.Join(s.fleet, rel)) },
		Publish:   func() { s.publish() },
	}
}

// meter counts the bytes a Source receives from the server.
type meter struct{ n atomic.Int64 }

// dial is a Config.Dial that counts what the connection reads.
func (m *meter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, m: m}, nil
}

// take returns the count so far and starts again from zero.
func (m *meter) take() int64 { return m.n.Swap(0) }

type countingConn struct {
	net.Conn
	m *meter
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.m.n.Add(int64(n))
	return n, err
}

// cutConn reads normally until budget bytes have arrived, then acts as a
// dropped connection: closed, or, with hang, silent forever.
type cutConn struct {
	net.Conn
	budget atomic.Int64
	hang   bool
}

func dialCut(budget int64, hang bool) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc := &cutConn{Conn: c, hang: hang}
		cc.budget.Store(budget)
		return cc, nil
	}
}

func (c *cutConn) Read(p []byte) (int, error) {
	if c.budget.Load() <= 0 {
		if c.hang {
			// Silence: wait until the reader gives up and closes.
			var one [1]byte
			for {
				if _, err := c.Conn.Read(one[:0]); err != nil {
					return 0, err
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		c.Conn.Close()
		return 0, net.ErrClosed
	}
	if int64(len(p)) > c.budget.Load() {
		p = p[:c.budget.Load()]
	}
	n, err := c.Conn.Read(p)
	c.budget.Add(-int64(n))
	return n, err
}
