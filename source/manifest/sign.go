package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source/verify"
)

// SignaturesDir holds the signatures of published manifests, one file per
// manifest named after the hash of its bytes (SignaturePath). A signature
// is written before the manifest it signs is put in place and never
// changes, so a reader that found a manifest finds its signature too.
const SignaturesDir = "signatures"

// MaxSignatureSize bounds a signature file; an armored SSH signature of
// any key type berth accepts is far smaller.
const MaxSignatureSize = 64 << 10

// SignaturePath is where the signature of the encoded manifest data lives,
// relative to the configuration directory.
func SignaturePath(data []byte) string {
	sum := sha256.Sum256(data)
	return path.Join(SignaturesDir, hex.EncodeToString(sum[:])+".sig")
}

// Sign signs the encoded manifest data with key in the namespace
// verify.NamespaceManifest, returning the armored signature (what
// ssh-keygen -Y sign -n berth-manifest writes).
func Sign(data []byte, key ssh.Signer) ([]byte, error) {
	sig, err := sshsig.Sign(bytes.NewReader(data), key, sshsig.HashSHA512, verify.NamespaceManifest)
	if err != nil {
		return nil, fmt.Errorf("signing manifest: %w", err)
	}
	return sshsig.Armor(sig), nil
}

// Verify checks that sig is a signature over the encoded manifest data by
// a key signers trusts for manifests at the manifest's publish time, and
// returns the signer's identity. Every failure is Stalling.
func (m *Manifest) Verify(data, sig []byte, signers *verify.AllowedSigners) (string, error) {
	id, err := verify.SSH(data, string(sig), verify.NamespaceManifest, signers, m.publishedOrNow())
	if err != nil {
		return "", fmt.Errorf("manifest serial %d: %w", m.Serial, err)
	}
	return id, nil
}

func (m *Manifest) publishedOrNow() time.Time {
	if m.Published.IsZero() {
		return time.Now()
	}
	return m.Published
}

// Unsigned is the error for a manifest with no signature when one is
// required.
func (m *Manifest) Unsigned(trust string) error {
	return fault.Stallingf("manifest serial %d (%s) is not signed, and %s requires a signature by a trusted key (berth publish --sign-key)",
		m.Serial, m.Revision(), trust)
}
