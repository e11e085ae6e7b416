package gitsource

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// signer makes real signed commits with git commit -S: SSH signatures
// through ssh-keygen, OpenPGP signatures through gpg.
type signer struct {
	// args are the git -c options that make commit -S use this key.
	args []string
	env  []string
	// trust is the line or armored key that trusts this signer.
	trust string
}

// sshSigner generates an ed25519 key with ssh-keygen and returns a signer
// using it; trust is an allowed_signers line for principal with options.
func sshSigner(t *testing.T, principal, options string) signer {
	t.Helper()
	key := filepath.Join(t.TempDir(), "id_ed25519")
	runCmd(t, nil, "", "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", principal, "-f", key)
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(principal + " " + options + " " + string(pub))
	return signer{args: []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + key}, trust: line + "\n"}
}

// gpgSigner generates an ed25519 OpenPGP key in a fresh GNUPGHOME and
// returns a signer using it; trust is the armored public key.
func gpgSigner(t *testing.T, uid string) signer {
	t.Helper()
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"GNUPGHOME=" + home}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	runCmd(t, env, "", "gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
	armored := runCmd(t, env, "", "gpg", "--batch", "--armor", "--export")
	return signer{args: []string{"-c", "gpg.format=openpgp", "-c", "user.signingkey=" + uid}, env: env, trust: armored}
}

// commit commits everything in the work tree with git commit -S, pushes
// it and returns its hash.
func (s signer) commit(t *testing.T, work, msg string) string {
	t.Helper()
	gitEnv(t, s.env, work, "add", "--all")
	gitEnv(t, s.env, work, append(s.args, "commit", "--quiet", "--allow-empty", "-S", "-m", msg)...)
	gitEnv(t, nil, work, "push", "--quiet", "origin", "main:main")
	return gitEnv(t, nil, work, "rev-parse", "HEAD")
}

func gitEnv(t *testing.T, env []string, dir string, args ...string) string {
	t.Helper()
	env = append([]string{
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=berth test", "GIT_AUTHOR_EMAIL=test@berth.invalid",
		"GIT_COMMITTER_NAME=berth test", "GIT_COMMITTER_EMAIL=test@berth.invalid",
	}, env...)
	return runCmd(t, env, dir, "git", args...)
}

func runCmd(t *testing.T, env []string, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}
