package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/testserver"
)

// sshSigningKey is an ed25519 key made with ssh-keygen for signing
// commits, and its allowed_signers line.
type sshSigningKey struct {
	path, line string
}

func newSigningKey(t *testing.T, principal string) sshSigningKey {
	t.Helper()
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", principal, "-f", p).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(p + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return sshSigningKey{path: p, line: principal + ` namespaces="git" ` + strings.TrimSpace(string(pub)) + "\n"}
}

// fingerprint is the key's SHA256 fingerprint as ssh-keygen prints it.
func (k sshSigningKey) fingerprint(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-l", "-f", k.path+".pub").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[1]
}

// signWith makes the fleet's work clone sign every commit with k, as
// git commit -S does; a zero key turns signing off.
func (f *fleetHost) signWith(k sshSigningKey) {
	f.t.Helper()
	sets := [][]string{{"gpg.format", "ssh"}, {"commit.gpgsign", "false"}}
	if k.path != "" {
		sets = append(sets, []string{"user.signingkey", k.path}, []string{"commit.gpgsign", "true"})
	}
	for _, kv := range sets {
		if _, err := testserver.Git(f.repo.WorkDir(), append([]string{"config"}, kv...)...); err != nil {
			f.t.Fatal(err)
		}
	}
}

// trustState is the part of `berth status --json` about signatures.
type trustState struct {
	State struct {
		Applied *struct{ Commit, Signer string }
	}
	Freshness struct {
		Stale  bool
		Reason string
	}
}
