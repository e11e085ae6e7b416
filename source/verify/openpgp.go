package verify

import (
	"fmt"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// OpenPGPArmorPrefix starts an armored OpenPGP signature.
const OpenPGPArmorPrefix = "-----BEGIN PGP SIGNATURE-----"

// LoadKeyring reads an armored OpenPGP public keyring (gpg --armor
// --export) and checks that it parses and holds at least one key. It
// returns the armored text, which is what go-git's verification takes.
func LoadKeyring(name string) (string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(string(data)))
	if err != nil {
		return "", fmt.Errorf("%s: not an armored OpenPGP public keyring: %v", name, err)
	}
	if len(ring) == 0 {
		return "", fmt.Errorf("%s: no keys: a signing policy with no trusted key would refuse everything", name)
	}
	return string(data), nil
}

// OpenPGPIdentity names the key that made a verified signature:
// "<primary user id> (openpgp <fingerprint>)".
func OpenPGPIdentity(e *openpgp.Entity) string {
	name := "unnamed key"
	if id := e.PrimaryIdentity(); id != nil {
		name = id.Name
	}
	return fmt.Sprintf("%s (openpgp %X)", name, e.PrimaryKey.Fingerprint)
}

// OpenPGPIssuer names the key an armored signature claims to be made by,
// for errors about signatures that did not verify: "openpgp <fingerprint
// or key id>", or "an unidentified OpenPGP key".
func OpenPGPIssuer(sig string) string {
	block, err := armor.Decode(strings.NewReader(sig))
	if err != nil {
		return "an unreadable OpenPGP signature"
	}
	p, err := packet.Read(block.Body)
	s, ok := p.(*packet.Signature)
	switch {
	case err != nil || !ok:
		return "an unreadable OpenPGP signature"
	case len(s.IssuerFingerprint) > 0:
		return fmt.Sprintf("openpgp %X", s.IssuerFingerprint)
	case s.IssuerKeyId != nil:
		return fmt.Sprintf("openpgp key id %016X", *s.IssuerKeyId)
	}
	return "an unidentified OpenPGP key"
}
