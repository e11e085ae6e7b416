package gitsource

import (
	"fmt"

	"github.com/berth-nix/berth/internal/settings"
)

// TrustSettings is the trust.git section of the agent's configuration
// file: when either file is set, the branch head must be signed by a key
// one of them trusts.
type TrustSettings struct {
	// AllowedSigners trusts SSH keys (git's allowed_signers format).
	AllowedSigners string `yaml:"allowed_signers"`
	// OpenPGPKeyring trusts OpenPGP keys (an armored public keyring).
	OpenPGPKeyring string `yaml:"openpgp_keyring"`
}

// Signed reports whether heads must be signed.
func (t TrustSettings) Signed() bool { return t.AllowedSigners != "" || t.OpenPGPKeyring != "" }

// Validate checks t. An error is a *settings.Error naming the key inside
// the section.
func (t *TrustSettings) Validate() error {
	return settings.OptionalAbs(settings.Path{Key: "allowed_signers", Value: t.AllowedSigners},
		settings.Path{Key: "openpgp_keyring", Value: t.OpenPGPKeyring})
}

// String describes t; it names key files, which hold no secret.
func (t TrustSettings) String() string {
	if !t.Signed() {
		return "git heads unsigned"
	}
	return fmt.Sprintf("git heads signed (allowed_signers %q, openpgp_keyring %q)", t.AllowedSigners, t.OpenPGPKeyring)
}

// Signing is the signing policy of t, or nil when heads need no
// signature.
func (t TrustSettings) Signing() *Signing {
	if !t.Signed() {
		return nil
	}
	return &Signing{AllowedSignersFile: t.AllowedSigners, KeyringFile: t.OpenPGPKeyring}
}
