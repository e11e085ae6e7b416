package sftpsource

import "github.com/berth-nix/berth/internal/settings"

// TrustSettings is the trust.sftp section of the agent's configuration
// file: when set, every manifest must be signed by a key it trusts
// (berth publish --sign-key).
type TrustSettings struct {
	// AllowedSigners trusts SSH keys, in the allowed_signers format.
	AllowedSigners string `yaml:"allowed_signers"`
}

// Validate checks t. An error is a *settings.Error naming the key inside
// the section.
func (t *TrustSettings) Validate() error {
	return settings.OptionalAbs(settings.Path{Key: "allowed_signers", Value: t.AllowedSigners})
}

// String describes t; it names the key file, which holds no secret.
func (t TrustSettings) String() string {
	if t.AllowedSigners == "" {
		return "sftp manifests unsigned"
	}
	return "sftp manifests signed (allowed_signers " + t.AllowedSigners + ")"
}
