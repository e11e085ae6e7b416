package gitsource

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/source/conformance"
)

func writeTrust(t *testing.T, name, content string) string {
	p := filepath.Join(t.TempDir(), name)
	writeFile(t, p, content)
	return p
}

// signedRemote is a repository with one host directory and a verifying
// source following it.
func signedRemote(t *testing.T, pol Signing) (*testserver.Repo, *Source) {
	t.Helper()
	repo := testserver.NewRepo(t)
	repo.WriteFile(conformance.HostDir+"/flake.nix", "{ outputs = _: { }; }\n")
	cfg := baseConfig(t, "file://"+repo.BareDir())
	cfg.Signing = &pol
	return repo, newSource(t, cfg)
}

func TestVerifySignedCommits(t *testing.T) {
	for _, tool := range []string{"ssh-keygen", "gpg"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, fmt.Sprintf("%s not installed", tool))
		}
	}
	alice := sshSigner(t, "alice@example.com", `namespaces="git"`)
	bob := sshSigner(t, "bob@example.com", `namespaces="file"`)
	mallory := sshSigner(t, "mallory@example.com", "")
	carol := gpgSigner(t, "Carol <carol@example.com>")
	eve := gpgSigner(t, "Eve <eve@example.com>")
	both := Signing{
		AllowedSignersFile: writeTrust(t, "allowed_signers", "# fleet admins\n"+alice.trust+bob.trust),
		KeyringFile:        writeTrust(t, "keyring.asc", carol.trust),
	}
	sshOnly := Signing{AllowedSignersFile: both.AllowedSignersFile}
	pgpOnly := Signing{KeyringFile: both.KeyringFile}
	tests := []struct {
		name   string
		pol    Signing
		by     *signer // nil: an unsigned commit
		signer string  // want a verified signer containing this
		refuse []string
	}{
		{"ssh trusted", both, &alice, "alice@example.com (ssh ED25519 SHA256:", nil},
		{"openpgp trusted", both, &carol, "Carol <carol@example.com> (openpgp ", nil},
		{"unsigned", both, nil, "", []string{"not signed", both.AllowedSignersFile, both.KeyringFile}},
		{"ssh unknown key", both, &mallory, "", []string{"signed by ssh ED25519 SHA256:", "not trusted", "key not listed"}},
		{"ssh wrong namespace", both, &bob, "", []string{"not trusted", `does not allow namespace "git"`}},
		{"openpgp unknown key", both, &eve, "", []string{"signed by openpgp ", "does not verify"}},
		{"ssh with only openpgp trusted", pgpOnly, &alice, "", []string{"signed with an SSH key, but only OpenPGP keys"}},
		{"openpgp with only ssh trusted", sshOnly, &carol, "", []string{"but only SSH keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, src := signedRemote(t, tt.pol)
			var head string
			if tt.by == nil {
				head = repo.Commit("unsigned")
				repo.Push()
			} else {
				head = tt.by.commit(t, repo.WorkDir(), "signed")
			}
			art, err := src.Fetch(context.Background())
			if tt.refuse != nil {
				wantClass(t, err, fault.Stalling, append(tt.refuse, "commit "+head)...)
				if art.Path != "" {
					t.Errorf("got a staged path %q with a refused commit, want none", art.Path)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want commit %s accepted", err, head)
			}
			if !strings.Contains(art.Signer, tt.signer) || art.Commit != head {
				t.Errorf("got signer %q of %s, want %q of %s", art.Signer, art.Commit, tt.signer, head)
			}
		})
	}
}

// A signature copied from a signed commit onto another commit must not
// verify: that is what an attacker with push access but no key would try.
func TestVerifyTransplantedSignature(t *testing.T) {
	alice := sshSigner(t, "alice@example.com", "")
	repo, src := signedRemote(t, Signing{AllowedSignersFile: writeTrust(t, "allowed_signers", alice.trust)})
	signed := alice.commit(t, repo.WorkDir(), "signed")
	raw := gitEnv(t, nil, repo.WorkDir(), "cat-file", "commit", signed)
	forged := strings.Replace(raw, "\n\nsigned", "\n\nforged: run my code", 1)
	obj := filepath.Join(t.TempDir(), "forged")
	writeFile(t, obj, forged+"\n")
	head := gitEnv(t, nil, repo.BareDir(), "hash-object", "-t", "commit", "-w", obj)
	gitEnv(t, nil, repo.BareDir(), "update-ref", "refs/heads/main", head)

	_, err := src.Fetch(context.Background())
	wantClass(t, err, fault.Stalling, "commit "+head, "does not match the content", "alice@example.com")
}

func TestVerifyRereadsTrustFiles(t *testing.T) {
	alice := sshSigner(t, "alice@example.com", "")
	mallory := sshSigner(t, "mallory@example.com", "")
	file := writeTrust(t, "allowed_signers", alice.trust)
	repo, src := signedRemote(t, Signing{AllowedSignersFile: file})
	mallory.commit(t, repo.WorkDir(), "by mallory")
	if _, err := src.Fetch(context.Background()); fault.ClassOf(err) != fault.Stalling {
		t.Fatalf("got %v, want mallory's commit refused", err)
	}
	writeFile(t, file, alice.trust+mallory.trust)
	if _, err := src.Fetch(context.Background()); err != nil {
		t.Fatalf("got %v after trusting mallory, want the commit accepted", err)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	_, err := src.Fetch(context.Background())
	wantClass(t, err, fault.Transient, "allowed_signers")
}

func TestVerifierNeedsTrustFiles(t *testing.T) {
	bad := writeTrust(t, "allowed_signers", "# nobody\n")
	for _, pol := range []Signing{{}, {AllowedSignersFile: bad}, {KeyringFile: bad}, {AllowedSignersFile: "/nonexistent"}} {
		cfg := baseConfig(t, "file:///nonexistent")
		cfg.Signing = &pol
		if _, err := New(cfg); err == nil {
			t.Errorf("got no error for %+v, want one", pol)
		}
	}
}
