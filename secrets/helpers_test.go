package secrets

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/berth-nix/berth/internal/testenv"
)

// keypair is a real OpenSSH key made by ssh-keygen.
type keypair struct {
	Priv string // path of the private key
	Pub  string // the public key line
}

func keygen(t *testing.T, typ string) keypair {
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
	return keypair{Priv: p, Pub: strings.TrimSpace(string(pub))}
}

func (k keypair) ids(t *testing.T) []age.Identity {
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
