package verify

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/berth-nix/berth/internal/fault"
)

// Namespaces of SSH signatures: what the signer meant the signature for.
// A signature made for one is never accepted for another.
const (
	// NamespaceGit is the namespace git signs commits and tags in.
	NamespaceGit = "git"
	// NamespaceManifest is the namespace berth publish signs manifests in.
	NamespaceManifest = "berth-manifest"
)

// SSHArmorPrefix starts an armored SSH signature.
const SSHArmorPrefix = "-----BEGIN SSH SIGNATURE-----"

// SSH checks the armored SSH signature sig (ssh-keygen -Y sign's output)
// over payload: it must have been made in namespace, with a key that
// signers trusts for that namespace at time at. It returns the signer's
// identity, "<principals> (ssh <key type> <fingerprint>)". Every failure is
// Stalling and names the key found, if the signature names one.
func SSH(payload []byte, sig string, namespace string, signers *AllowedSigners, at time.Time) (string, error) {
	s, err := sshsig.Unarmor([]byte(strings.TrimSpace(sig)))
	if err != nil {
		return "", fault.Stallingf("SSH signature does not parse: %v", err)
	}
	key := keyName(s.PublicKey)
	if s.Namespace != namespace {
		return "", fault.Stallingf("signed by %s for namespace %q, not %q", key, s.Namespace, namespace)
	}
	e, err := signers.Find(s.PublicKey, namespace, at)
	if err != nil {
		return "", fault.Stallingf("signed by %s, which is not trusted: %v", key, err)
	}
	if err := sshsig.Verify(bytes.NewReader(payload), s, e.Key, s.HashAlgorithm, namespace); err != nil {
		return "", fault.Stallingf("signature by %s (%s) does not match the content: %v", e.Principals, key, err)
	}
	return fmt.Sprintf("%s (%s)", e.Principals, key), nil
}

// keyName identifies a public key for people: "ssh ED25519 SHA256:...".
func keyName(k ssh.PublicKey) string {
	t := strings.ToUpper(strings.TrimPrefix(k.Type(), "ssh-"))
	return fmt.Sprintf("ssh %s %s", t, ssh.FingerprintSHA256(k))
}
