package secrets

import (
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"github.com/berth-nix/berth/secrets/secretstest"
)

type keypair = secretstest.Key

func keygen(t *testing.T, typ string) keypair { return secretstest.Keygen(t, typ) }

func ids(t *testing.T, k keypair) []age.Identity {
	t.Helper()
	ids, err := LoadIdentity(k.Priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fleet is a repository with hosts a and b and one admin.
type fleet struct {
	Repo
	A, B, Admin keypair
}

func newFleet(t *testing.T, hostType string) fleet {
	t.Helper()
	f := fleet{Repo: Repo{Dir: t.TempDir()}, A: keygen(t, hostType), B: keygen(t, hostType), Admin: keygen(t, "ed25519")}
	writeFile(t, filepath.Join(f.Dir, HostKeysDir, "a.pub"), f.A.Pub+"\n")
	writeFile(t, filepath.Join(f.Dir, HostKeysDir, "b.pub"), f.B.Pub+"\n")
	writeFile(t, filepath.Join(f.Dir, AdminsFile), "# the admins\n"+f.Admin.Pub+"\n")
	return f
}
