package testserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// GitSSH serves one Repo over SSH with OpenSSH's sshd.
//
// Tests run as root, so the SSH user is root: one authorized key (a fresh
// ed25519 key per server, marked "restrict") and a ForceCommand that hands
// the client's command to git-shell, which runs only git-upload-pack,
// git-receive-pack and git-upload-archive. No system user is created.
type GitSSH struct {
	*sshd
	repo      *Repo
	clientKey string
}

// StartGitSSH serves repo over SSH on 127.0.0.1 until the test ends. It
// skips the test unless running as root. The server accepts the client's
// GIT_PROTOCOL variable, so it speaks protocol version 2 when asked.
func StartGitSSH(t testing.TB, repo *Repo) *GitSSH {
	t.Helper()
	return startGitSSH(t, repo, "AcceptEnv GIT_PROTOCOL\n")
}

// StartGitSSHProtocolV0 is StartGitSSH with an sshd that refuses the
// GIT_PROTOCOL variable (OpenSSH's default), so git speaks version 0.
func StartGitSSHProtocolV0(t testing.TB, repo *Repo) *GitSSH {
	t.Helper()
	return startGitSSH(t, repo, "")
}

func startGitSSH(t testing.TB, repo *Repo, extra string) *GitSSH {
	t.Helper()
	RequireRoot(t)
	dir := t.TempDir()
	g := &GitSSH{repo: repo, clientKey: filepath.Join(dir, "id_ed25519")}
	keygen(t, g.clientKey, "berth-test-client")
	pub, err := os.ReadFile(g.clientKey + ".pub")
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	keys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(keys, append([]byte("restrict "), pub...), 0o600); err != nil {
		t.Fatalf("testserver: %v", err)
	}
	g.sshd = startSSHD(t, fmt.Sprintf(`AllowUsers root
AuthorizedKeysFile %s
%sForceCommand git-shell -c "$SSH_ORIGINAL_COMMAND"
`, keys, extra))
	return g
}

// URL is ssh://root@127.0.0.1:PORT/<absolute path of the bare repo>.
func (g *GitSSH) URL() string {
	return fmt.Sprintf("ssh://root@%s%s", g.Addr(), g.repo.bare)
}

// ClientKeyPath is the private key (ed25519, no passphrase) the server
// accepts.
func (g *GitSSH) ClientKeyPath() string { return g.clientKey }

// SSHCommand is a command for GIT_SSH_COMMAND that uses only the client
// key and KnownHostsPath, with strict host key checking and no prompts.
func (g *GitSSH) SSHCommand() string {
	return strings.Join(sshClientArgs(g.clientKey, g.KnownHostsPath()), " ")
}

// sshClientArgs is an OpenSSH client invocation that ignores the user's
// configuration and agent.
func sshClientArgs(key, knownHosts string) []string {
	return []string{"ssh", "-F", "/dev/null", "-i", key,
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "UserKnownHostsFile=" + knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"}
}
