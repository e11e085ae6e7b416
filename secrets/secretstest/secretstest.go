// Package secretstest makes real OpenSSH keys for tests of encrypted
// files.
package secretstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/testenv"
)

// Key is an OpenSSH key pair made by ssh-keygen.
type Key struct {
	Priv string // path of the private key, no passphrase
	Pub  string // the public key line
}

// Keygen makes a key of type typ ("ed25519" or "rsa") in a temporary
// directory of t.
func Keygen(t testing.TB, typ string) Key {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		testenv.Missing(t, "ssh-keygen (openssh-client) is not installed")
	}
	p := filepath.Join(t.TempDir(), "id_"+typ)
	args := []string{"-q", "-t", typ, "-N", "", "-C", "test", "-f", p}
	if typ == "rsa" {
		args = append(args, "-b", "2048")
	}
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(p + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return Key{Priv: p, Pub: strings.TrimSpace(string(pub))}
}
