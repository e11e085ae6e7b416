package testserver

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testenv"
)

// sshdPath is Debian's OpenSSH server (package openssh-server).
const sshdPath = "/usr/sbin/sshd"

// baseConfig is what every test sshd shares: key authentication only, no
// forwarding, no TTY. StrictModes is off because test files live under
// world-writable /tmp; sshd still enforces its chroot ownership rules.
const baseConfig = `ListenAddress 127.0.0.1:%d
HostKey %s
PidFile none
UsePAM no
StrictModes no
PubkeyAuthentication yes
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PermitUserEnvironment no
PermitUserRC no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
X11Forwarding no
PermitTunnel no
PermitTTY no
LogLevel VERBOSE
%s`

// sshd is an OpenSSH server run as a child process in the foreground
// (-D -e) with its own configuration, host key and port. GitSSH and SFTP
// embed it, so its exported methods are theirs.
type sshd struct {
	t    testing.TB
	dir  string // config, host keys, known_hosts files
	body string // configuration after baseConfig, Match blocks last
	port int

	mu         sync.Mutex
	cmd        *exec.Cmd
	done       chan struct{}
	log        bytes.Buffer
	keyGen     int
	knownHosts string
}

// startSSHD starts sshd with the given configuration body until the test
// ends. It skips the test unless running as root.
func startSSHD(t testing.TB, body string) *sshd {
	t.Helper()
	RequireRoot(t)
	// Debian's sshd refuses to start without its privilege separation
	// directory, which systemd normally creates.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("testserver: %v", err)
	}
	s := &sshd{t: t, dir: t.TempDir(), body: body, port: freePort(t)}
	s.RotateHostKey()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("sshd on port %d logged:\n%s", s.port, s.Log())
		}
	})
	return s
}

// RequireRoot ends the test through testenv.Root unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	testenv.Root(t, "sshd must start as root to switch users and chroot")
}

// Addr is the server's host:port.
func (s *sshd) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port is the server's TCP port.
func (s *sshd) Port() int { return s.port }

// KnownHostsPath is a known_hosts file holding the current host key for
// [127.0.0.1]:PORT. RotateHostKey writes a new file, so a path taken
// before a rotation keeps trusting only the old key.
func (s *sshd) KnownHostsPath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.knownHosts
}

// Log is what sshd has written to stderr so far.
func (s *sshd) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// RotateHostKey restarts the server on the same port with a freshly
// generated ed25519 host key, as after a reinstall of the remote.
func (s *sshd) RotateHostKey() {
	s.t.Helper()
	s.Stop()
	s.keyGen++
	key := filepath.Join(s.dir, fmt.Sprintf("host_ed25519_%d", s.keyGen))
	keygen(s.t, key, "host")
	cfg := filepath.Join(s.dir, "sshd_config")
	text := fmt.Sprintf(baseConfig, s.port, key, s.body)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		s.t.Fatalf("testserver: %v", err)
	}
	s.writeKnownHosts(key + ".pub")
	s.start(cfg)
}

func (s *sshd) writeKnownHosts(pubPath string) {
	s.t.Helper()
	pub, err := os.ReadFile(pubPath)
	if err != nil {
		s.t.Fatalf("testserver: %v", err)
	}
	path := filepath.Join(s.dir, fmt.Sprintf("known_hosts_%d", s.keyGen))
	line := fmt.Sprintf("[127.0.0.1]:%d %s", s.port, pub)
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		s.t.Fatalf("testserver: %v", err)
	}
	s.mu.Lock()
	s.knownHosts = path
	s.mu.Unlock()
}

func (s *sshd) start(cfg string) {
	s.t.Helper()
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfg)
	cmd.Stdout = lockedWriter{&s.mu, &s.log}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("testserver: start sshd: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	if err := waitListening(s.Addr(), done); err != nil {
		s.t.Fatalf("testserver: sshd on %s: %v\n%s", s.Addr(), err, s.Log())
	}
}

// Stop terminates the server; open sessions keep their own processes
// until their clients disconnect. Stopping twice is harmless.
func (s *sshd) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// waitListening polls addr until it accepts a connection, the process
// behind done exits, or ten seconds pass.
func waitListening(addr string, done <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("exited before listening")
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not listening after 10s")
}

// freePort asks the kernel for a free loopback port. Another process
// could take it before sshd binds; that shows as a start failure.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// keygen writes a new passphrase-less ed25519 key pair to path and
// path.pub with ssh-keygen.
func keygen(t testing.TB, path, comment string) {
	t.Helper()
	if _, err := run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path); err != nil {
		t.Fatalf("testserver: %v", err)
	}
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}
