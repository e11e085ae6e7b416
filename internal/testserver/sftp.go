package testserver

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sftpBase holds the chroots. sshd requires every component of a
// ChrootDirectory to be root-owned and not group- or world-writable, which
// rules out anything under /tmp.
const sftpBase = "/var/lib/berth-testserver"

var userName = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,30}$`)

// SFTP is an OpenSSH sshd that offers each of its users only a chrooted
// SFTP session (ForceCommand internal-sftp), with key authentication and
// no forwarding or TTY.
//
// Each user is a real system user: StartSFTP creates it with useradd
// (system account, no home, shell /usr/sbin/nologin) unless it already
// exists, in which case it is reused. Users are left in place when the
// test ends, so later runs reuse them; the chroots and keys are removed.
//
// Each user's chroot, ChrootDir(user), holds:
//
//	config/   root:<the user's group>, mode 0750: the user can read, not
//	          write; other users of this machine cannot read it (as
//	          contrib/sftp-server/add-host and services.berth-server make it)
//	reports/  owned by the user: the user can write
type SFTP struct {
	*sshd
	base string
	keys map[string]string // user → private key path
}

// StartSFTP serves one chroot per user on 127.0.0.1 until the test ends.
// It skips the test unless running as root.
func StartSFTP(t testing.TB, users ...string) *SFTP {
	t.Helper()
	RequireRoot(t)
	if len(users) == 0 {
		t.Fatalf("testserver: StartSFTP needs at least one user")
	}
	s := &SFTP{base: sftpRoot(t), keys: map[string]string{}}
	keyDir := t.TempDir()
	for _, u := range users {
		s.addUser(t, u, keyDir)
	}
	list := strings.Join(users, ",")
	s.sshd = startSSHD(t, fmt.Sprintf(`AllowUsers %s
AuthorizedKeysFile %s/keys/%%u
Subsystem sftp internal-sftp
Match User %s
	ChrootDirectory %s/chroot/%%u
	ForceCommand internal-sftp -d /
	DisableForwarding yes
	PermitTTY no
`, strings.Join(users, " "), s.base, list, s.base))
	return s
}

// ChrootDir is user's chroot directory on this machine; tests write the
// user's configuration under ChrootDir(user)/config.
func (s *SFTP) ChrootDir(user string) string {
	return filepath.Join(s.base, "chroot", user)
}

// ClientKeyPath is user's private key (ed25519, no passphrase).
func (s *SFTP) ClientKeyPath(user string) string { return s.keys[user] }

// SFTPArgs is an `sftp` command line for user with strict host key
// checking against KnownHostsPath and no prompts; opts (such as "-b",
// batchfile) go before the destination.
func (s *SFTP) SFTPArgs(user string, opts ...string) []string {
	args := sshClientArgs(s.keys[user], s.KnownHostsPath())
	args[0] = "sftp"
	args = append(args, "-P", strconv.Itoa(s.Port()))
	return append(append(args, opts...), user+"@127.0.0.1")
}

// sftpRoot makes a fresh root-owned 0755 directory under sftpBase and
// removes it when the test ends.
func sftpRoot(t testing.TB) string {
	t.Helper()
	if err := os.MkdirAll(sftpBase, 0o755); err != nil {
		t.Fatalf("testserver: %v", err)
	}
	dir, err := os.MkdirTemp(sftpBase, "sftp-")
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{dir, dir + "/chroot", dir + "/keys"} {
		mkdirMode(t, d, 0o755, 0, 0)
	}
	return dir
}

// addUser ensures the system user exists and gives it a chroot and a key.
func (s *SFTP) addUser(t testing.TB, name, keyDir string) {
	t.Helper()
	if !userName.MatchString(name) {
		t.Fatalf("testserver: SFTP user %q: want a name matching %s", name, userName)
	}
	uid, gid := ensureUser(t, name)
	root := s.ChrootDir(name)
	mkdirMode(t, root, 0o755, 0, 0)
	mkdirMode(t, root+"/config", 0o750, 0, gid)
	mkdirMode(t, root+"/reports", 0o755, uid, -1)
	key := filepath.Join(keyDir, name)
	keygen(t, key, name)
	s.keys[name] = key
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	// sshd reads the authorized keys file as the user: it must be
	// readable by them.
	err = os.WriteFile(filepath.Join(s.base, "keys", name), append([]byte("restrict "), pub...), 0o644)
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
}

// ensureUser returns the uid and gid of system user name, creating it first when
// it does not exist. The account's password field is "*" (no password
// login) rather than useradd's "!" (locked): without PAM, sshd refuses
// every login, key logins included, to a locked account. A reused locked
// account is changed the same way.
func ensureUser(t testing.TB, name string) (int, int) {
	t.Helper()
	if _, err := user.Lookup(name); err != nil {
		_, err := run("useradd", "--system", "--no-create-home", "--home-dir", "/",
			"--shell", "/usr/sbin/nologin", "--user-group", "--password", "*", name)
		if err != nil {
			t.Logf("testserver: useradd %s: %v (looking it up again)", name, err)
		}
	}
	if locked(name) {
		if _, err := run("usermod", "--password", "*", name); err != nil {
			t.Fatalf("testserver: unlock %s: %v", name, err)
		}
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("testserver: system user %s: %v", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid
}

func mkdirMode(t testing.TB, dir string, mode os.FileMode, uid, gid int) {
	t.Helper()
	if err := os.MkdirAll(dir, mode); err != nil {
		t.Fatalf("testserver: %v", err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatalf("testserver: %v", err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatalf("testserver: %v", err)
	}
}

// locked reports whether name's password field in /etc/shadow starts with
// "!", the mark of a locked account.
func locked(name string) bool {
	data, err := os.ReadFile("/etc/shadow")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.HasPrefix(rest, "!")
		}
	}
	return false
}
