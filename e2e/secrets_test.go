package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/secrets"
	"github.com/berth-nix/berth/secrets/secretstest"
)

// Plaintexts of the encrypted files: unique markers, so that finding one
// anywhere but in its installed file is certain to be a leak.
const (
	sealedV1   = "berth-e2e-sealed-v1-0b7e41"
	sealedV2   = "berth-e2e-sealed-v2-93d2aa"
	sealedV3   = "berth-e2e-sealed-v3-e6f105"
	sealedKey  = "berth-e2e-sealed-key-27c9d8"
	sealedBeta = "berth-e2e-sealed-beta-f03b6c"
)

// sealedMeta gives alpha's encrypted token to daemon:adm 0640; the other
// encrypted file takes the default, 0600 root.
const sealedMeta = `/etc/app/token:
  owner: daemon
  group: adm
  mode: "0640"
`

// sealedFleet is alpha's test host with its SSH host key, the fleet's
// public keys committed, and the admin's key for berth secrets.
type sealedFleet struct {
	*fleetHost
	alpha, beta, admin secretstest.Key
}

// secretsCLI runs berth secrets on this machine (the admin's side) over
// the fleet's work tree, with env added.
func (s *sealedFleet) secretsCLI(env []string, args ...string) {
	s.t.Helper()
	cmd := exec.Command(berthBinary(s.t), append([]string{"secrets"}, args...)...)
	cmd.Dir = s.repo.WorkDir()
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("berth secrets %v: %v\n%s", args, err, out)
	}
}

// seal encrypts plaintext into rel (in the work tree) with berth secrets
// encrypt, for host when set, else for the host whose directory holds it.
func (s *sealedFleet) seal(rel, plaintext, host string) {
	s.t.Helper()
	src := filepath.Join(s.t.TempDir(), "plain")
	if err := os.WriteFile(src, []byte(plaintext), 0o600); err != nil {
		s.t.Fatal(err)
	}
	args := []string{"encrypt", "--from", src, rel}
	if host != "" {
		args = append(args, "--host", host)
	}
	s.secretsCLI(nil, args...)
}

// edit replaces rel's plaintext through berth secrets edit, with an
// editor that writes plaintext.
func (s *sealedFleet) edit(rel, plaintext string) {
	s.t.Helper()
	ed := filepath.Join(s.t.TempDir(), "editor")
	if err := os.WriteFile(ed, []byte("#!/bin/sh\nprintf %s '"+plaintext+"' >\"$1\"\n"), 0o755); err != nil {
		s.t.Fatal(err)
	}
	s.secretsCLI([]string{"EDITOR=" + ed, "VISUAL=", "XDG_RUNTIME_DIR=" + s.t.TempDir()}, "edit", "--identity", s.admin.Priv, rel)
}

// gitBlob is rel at the head of the bare repository the agent in the
// host fetched into.
func (s *sealedFleet) gitBlob(rel string) []byte {
	s.t.Helper()
	out, err := exec.Command("git", "--git-dir", s.h.Path("/var/lib/berth/git"), "show", "refs/remotes/origin/main:"+rel).Output()
	if err != nil {
		s.t.Fatalf("git show %s in the host's repository: %v", rel, err)
	}
	return out
}

func decrypts(k secretstest.Key, ciphertext []byte) (string, error) {
	ids, err := secrets.LoadIdentity(k.Priv, nil)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	err = secrets.Decrypt(&out, bytes.NewReader(ciphertext), "test", ids)
	return out.String(), err
}

const (
	alphaToken = "hosts/alpha/files/etc/app/token.age"
	alphaKey   = "hosts/alpha/files/etc/app/key.age"
	betaPSK    = "hosts/beta/files/etc/beta.psk.age"
)

// TestEncryptedFiles deploys age-encrypted files through berth run in a
// real systemd test host whose SSH host key is alpha's: alpha gets its
// secrets with the declared owner and mode; the repository it fetched
// (the whole branch) holds beta's secret only as ciphertext that alpha's
// key cannot open and beta's can; a rotation made with berth secrets edit
// is applied, and a reverted attempt restores the previous secret; a
// corrupt file, a file encrypted for beta, and plaintext where
// trust.require_encrypted_files forbids it are refused with nothing
// installed; and no plaintext is anywhere in the Nix store, berth's state
// directory, the journal, the fetched repository or the report.
func TestEncryptedFiles(t *testing.T) {
	t.Parallel()
	reports := collectReports(t)
	s := &sealedFleet{
		fleetHost: newFleetHost(t, alphaV1(), "report:\n  http_url: "+reports.URL+"/reports/{hostname}\n  token_file: /etc/berth/report-token\n"+
			"trust:\n  require_encrypted_files: [/etc/app]\n"),
		alpha: secretstest.Keygen(t, "ed25519"), beta: secretstest.Keygen(t, "rsa"), admin: secretstest.Keygen(t, "ed25519"),
	}
	s.write("/etc/berth/report-token", reportToken+"\n", 0o600)
	hostKey, err := os.ReadFile(s.alpha.Priv)
	if err != nil {
		t.Fatal(err)
	}
	s.write(secrets.DefaultHostKey, string(hostKey), 0o600)
	s.repo.WriteFile(secrets.HostKeysDir+"/alpha.pub", s.alpha.Pub+"\n")
	s.repo.WriteFile(secrets.HostKeysDir+"/beta.pub", s.beta.Pub+"\n")
	s.repo.WriteFile(secrets.AdminsFile, s.admin.Pub+"\n")

	t.Run("install", func(t *testing.T) {
		s.t = t
		s.seal(alphaToken, sealedV1, "")
		s.seal(alphaKey, sealedKey, "")
		s.seal(betaPSK, sealedBeta, "")
		s.repo.WriteFile(fixture.HostDir("alpha")+"/files.yaml", sealedMeta)
		s.push(alphaV1(), "alpha and beta: encrypted files")
		s.run(0)
		s.expectFiles(map[string]string{
			"/etc/app/token":     "daemon:adm 640 " + sealedV1,
			"/etc/app/key":       "root:root 600 " + sealedKey,
			"/etc/app/token.age": "absent",
		})
	})
	t.Run("beta's secret is ciphertext alpha cannot open", func(t *testing.T) {
		s.t = t
		for rel, c := range map[string]struct {
			owner, other secretstest.Key
			plain        string
		}{betaPSK: {s.beta, s.alpha, sealedBeta}, alphaToken: {s.alpha, s.beta, sealedV1}} {
			blob := s.gitBlob(rel)
			if got, err := decrypts(c.owner, blob); err != nil || got != c.plain {
				t.Errorf("%s with its host's key: got %q, %v", rel, got, err)
			}
			if _, err := decrypts(c.other, blob); err == nil {
				t.Errorf("%s opens with the other host's key", rel)
			}
		}
	})
	t.Run("rotation", func(t *testing.T) {
		s.t = t
		s.edit(alphaToken, sealedV2)
		s.push(alphaV1(), "alpha: rotate the token")
		s.run(0)
		s.expectFiles(map[string]string{"/etc/app/token": "daemon:adm 640 " + sealedV2})
	})
	t.Run("revert restores the previous secret", func(t *testing.T) {
		s.t = t
		bad := alphaV1()
		bad.Units["broken.service"] = fixture.FailingService("broken")
		s.edit(alphaToken, sealedV3)
		s.push(bad, "alpha: new token with a broken unit")
		s.run(4)
		s.expectFiles(map[string]string{"/etc/app/token": "daemon:adm 640 " + sealedV2})
	})
	good := map[string]string{"/etc/app/token": "daemon:adm 640 " + sealedV2, "/etc/app/key": "root:root 600 " + sealedKey, "/etc/app/new": "absent", "/etc/app/plain": "absent"}
	refusals := []struct {
		name    string
		prepare func()
		want    string
	}{
		{"corrupt", func() {
			p := filepath.Join(s.repo.WorkDir(), alphaToken)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			s.repo.WriteFile(alphaToken, string(data[:len(data)-5]))
		}, "files/etc/app/token.age: cannot decrypt: corrupt or truncated age file"},
		{"encrypted for beta", func() { s.seal(alphaToken, sealedV3, "beta") }, "files/etc/app/token.age: cannot decrypt: not encrypted to this key"},
		{"plaintext where encryption is required", func() {
			s.seal(alphaToken, sealedV3, "")
			s.repo.WriteFile(fixture.HostDir("alpha")+"/files/etc/app/plain", "committed in the clear\n")
		}, "files/etc/app/plain: is not encrypted, and trust.require_encrypted_files (/etc/app) requires it"},
	}
	for _, c := range refusals {
		t.Run("refused: "+c.name, func(t *testing.T) {
			s.t = t
			s.repo.Remove(fixture.HostDir("alpha") + "/files/etc/app/plain")
			s.seal("hosts/alpha/files/etc/app/new.age", sealedV3, "")
			c.prepare()
			s.expectFilesRefused("alpha: bad encrypted files ("+c.name+")", c.want, good)
		})
	}
	t.Run("no plaintext outside the installed files", func(t *testing.T) {
		s.t = t
		all := []string{sealedV1, sealedV2, sealedV3, sealedKey, sealedBeta}
		blobs, err := exec.Command("git", "--git-dir", s.h.Path("/var/lib/berth/git"), "cat-file", "--batch-all-objects", "--batch").Output()
		if err != nil {
			t.Fatalf("git cat-file in the host's repository: %v", err)
		}
		for _, m := range all {
			out := s.h.Run(t, "sh", "-c", `grep -rlF "$1" /nix/store /var/lib/berth; journalctl --no-pager | grep -cF "$1"; true`, "sh", m)
			if lines := strings.Fields(out); len(lines) != 1 || lines[0] != "0" {
				t.Errorf("plaintext %s found: %q", m, out)
			}
			if bytes.Contains(blobs, []byte(m)) {
				t.Errorf("plaintext %s in the host's fetched repository", m)
			}
			if data, _ := os.ReadFile(filepath.Join(reports.dir, "alpha.json")); strings.Contains(string(data), m) {
				t.Errorf("plaintext %s in the posted report", m)
			}
		}
	})
}
