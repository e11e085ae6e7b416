package verify

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/berth-nix/berth/internal/testenv"
)

// TestNamespacesAsOpenSSH: for each namespaces pattern list, berth admits
// a signature in namespace "git" exactly when ssh-keygen -Y verify does.
func TestNamespacesAsOpenSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		testenv.Missing(t, "ssh-keygen (openssh-client) is not installed")
	}
	dir := t.TempDir()
	keyFile, msg := filepath.Join(dir, "key"), filepath.Join(dir, "msg")
	sshKeygen(t, "-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", keyFile)
	if err := os.WriteFile(msg, []byte("tree 1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sshKeygen(t, "-Y", "sign", "-q", "-f", keyFile, "-n", "git", msg)
	pub, err := os.ReadFile(keyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	lists := []string{"git", "*", "*,!git", "!git,*", "!git", "!other,git", "!other", "g?t", "g*", "*t", "gi",
		"??", "???", "other,git", "other", "GIT", " git", "git ", "!*,git", "git,!g*", "g**t", "*?*", "!", "git,"}
	for _, list := range lists {
		signers := filepath.Join(dir, "allowed_signers")
		line := `alice namespaces="` + list + `" ` + string(pub)
		if err := os.WriteFile(signers, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		opensshOK := opensshVerifies(t, signers, msg, msg+".sig")
		a, err := ParseAllowedSigners("allowed_signers", []byte(line))
		if err != nil {
			t.Fatalf("namespaces=%q: %v", list, err)
		}
		_, err = a.Find(key, "git", time.Now())
		if berthOK := err == nil; berthOK != opensshOK {
			t.Errorf("namespaces=%q: berth accepts %v (%v), ssh-keygen accepts %v", list, berthOK, err, opensshOK)
		}
	}
}

// sshKeygen runs ssh-keygen, failing the test when it cannot run or
// exits non-zero.
func sshKeygen(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// opensshVerifies reports whether ssh-keygen -Y verify accepts sig over
// the file msg for principal alice in namespace git.
func opensshVerifies(t *testing.T, signers, msg, sig string) bool {
	t.Helper()
	f, err := os.Open(msg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", signers, "-I", "alice", "-n", "git", "-s", sig)
	cmd.Stdin = f
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return err == nil
}
