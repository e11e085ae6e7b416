// Package secretstest makes real OpenSSH keys for tests of encrypted
// files.
package secretstest

import (
	"bytes"
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

// WriteFile writes content to p (mode 0644), creating its directories.
func WriteFile(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Grep returns the first regular file under dir whose content contains
// s, or "": a test's check that a plaintext leaked nowhere.
func Grep(t testing.TB, dir, s string) string {
	t.Helper()
	hit := ""
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() || hit != "" {
			return err
		}
		data, err := os.ReadFile(p)
		if bytes.Contains(data, []byte(s)) {
			hit = p
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hit
}
