package secrets

import (
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

// fleet is a repository with hosts a and b and one admin.
type fleet struct {
	Repo
	A, B, Admin keypair
}

func newFleet(t *testing.T, hostType string) fleet {
	t.Helper()
	f := fleet{Repo: Repo{Dir: t.TempDir()}, A: keygen(t, hostType), B: keygen(t, hostType), Admin: keygen(t, "ed25519")}
	secretstest.WriteFile(t, filepath.Join(f.Dir, HostKeysDir, "a.pub"), f.A.Pub+"\n")
	secretstest.WriteFile(t, filepath.Join(f.Dir, HostKeysDir, "b.pub"), f.B.Pub+"\n")
	secretstest.WriteFile(t, filepath.Join(f.Dir, AdminsFile), "# the admins\n"+f.Admin.Pub+"\n")
	return f
}
