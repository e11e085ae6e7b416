package publish

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/berth-nix/berth/source/manifest"
)

// TestSignaturesDirectoryUnwritable: when the signature cannot be written,
// the host's publish fails and its manifest is not replaced, since agents
// that require signatures would refuse an unsigned one.
func TestSignaturesDirectoryUnwritable(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "h1")
	e.write("hosts/h1/flake.nix", "{ }\n", 0o644)
	// A file where the signatures directory belongs.
	config := filepath.Join(e.chroots, "h1", "config")
	if err := os.WriteFile(filepath.Join(config, manifest.SignaturesDir), []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Fleet: e.fleet, Chroots: e.chroots, Sign: key})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Action != Failed || !strings.Contains(res[0].Reason, "signature") {
		t.Fatalf("got %+v, want h1 failed naming the signature", res)
	}
	if _, err := os.Stat(filepath.Join(config, manifest.Name)); !os.IsNotExist(err) {
		t.Errorf("a manifest was published without its signature (%v)", err)
	}
}
