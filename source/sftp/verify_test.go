package sftpsource

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source/manifest"
	"github.com/berth-nix/berth/source/publish"
)

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// publishSigned publishes every host, signing manifests with key (none
// when nil).
func (s *server) publishSigned(key ssh.Signer) {
	s.t.Helper()
	res, err := publish.Run(context.Background(), publish.Options{Fleet: s.fleet, Chroots: s.chroots, Sign: key})
	if err != nil || len(res) == 0 || res[0].Action == publish.Failed {
		s.t.Fatalf("publish: %v %+v", err, res)
	}
}

// signedSource is a source that requires manifests signed by alice.
func (s *server) signedSource(c Config, alice ssh.Signer) *Source {
	s.t.Helper()
	p := filepath.Join(s.t.TempDir(), "allowed_signers")
	line := `alice@example.com namespaces="berth-manifest" ` + string(ssh.MarshalAuthorizedKey(alice.PublicKey()))
	if err := os.WriteFile(p, []byte(line), 0o600); err != nil {
		s.t.Fatal(err)
	}
	c.AllowedSigners = p
	return s.source(c)
}

func wantStalling(t *testing.T, err error, words ...string) {
	t.Helper()
	if fault.ClassOf(err) != fault.Stalling {
		t.Fatalf("got %v (class %v), want a stalling refusal", err, fault.ClassOf(err))
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got %q, want it to contain %q", err, w)
		}
	}
}

func TestSignedManifests(t *testing.T) {
	s := newServer(t)
	alice, mallory := newSigner(t), newSigner(t)
	src := s.signedSource(s.config(), alice)
	s.writeFile(hostDir+"/flake.nix", "{ v = 1; }\n")

	s.publishSigned(nil)
	_, err := src.Fetch(ctx(t))
	wantStalling(t, err, "serial 1", "is not signed")

	s.publishSigned(alice) // same tree: the published manifest gains a signature
	a := mustFetch(t, src)
	if !strings.Contains(a.Signer, "alice@example.com (ssh ED25519 SHA256:") {
		t.Errorf("got signer %q, want alice", a.Signer)
	}

	s.writeFile(hostDir+"/flake.nix", "{ v = 2; }\n")
	s.publishSigned(mallory)
	_, err = src.Fetch(ctx(t))
	wantStalling(t, err, "serial 2", "not trusted", ssh.FingerprintSHA256(mallory.PublicKey()))
}

// An attacker who can write to the server but holds no key can still put
// back an older manifest with its valid signature; the serial refuses it,
// also for a fresh Source over the same state directory.
func TestReplayedManifestRefused(t *testing.T) {
	s := newServer(t)
	alice := newSigner(t)
	cfg := s.config()
	src := s.signedSource(cfg, alice)
	s.writeFile(hostDir+"/flake.nix", "{ v = 1; }\n")
	s.publishSigned(alice)
	oldManifest := readServerFile(t, s, manifest.Name)
	oldSig := readServerFile(t, s, manifest.SignaturePath(oldManifest))
	mustFetch(t, src)

	s.writeFile(hostDir+"/flake.nix", "{ v = 2; }\n")
	s.publishSigned(alice)
	mustFetch(t, src)

	writeServerFile(t, s, manifest.SignaturePath(oldManifest), oldSig)
	writeServerFile(t, s, manifest.Name, oldManifest)
	for _, src := range []*Source{src, s.signedSource(cfg, alice)} {
		_, err := src.Fetch(ctx(t))
		wantStalling(t, err, "serial 1", "older than serial 2", "replayed")
	}
}

func readServerFile(t *testing.T, s *server, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.configDir(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeServerFile(t *testing.T, s *server, rel string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(s.configDir(), rel), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
