package gitsource

import (
	"crypto/ed25519"
	"encoding/pem"
	"path/filepath"

	"golang.org/x/crypto/ssh"
	"os"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sshKeyFile writes a fresh ed25519 private key and returns its path.
func sshKeyFile(t *testing.T) string {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "id_ed25519")
	writeFile(t, p, string(pem.EncodeToMemory(block)))
	return p
}
