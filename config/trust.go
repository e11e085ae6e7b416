package config

import (
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Trust narrows who can make this host apply a configuration
// (docs/security.md). With no key file set, whoever can write to the
// source is trusted.
type Trust struct {
	Git  TrustGit  `yaml:"git"`
	SFTP TrustSFTP `yaml:"sftp"`
	// MaxAge, when positive, reports the source as stale once it has
	// answered the same revision, or not answered at all, for longer.
	MaxAge time.Duration `yaml:"max_age"`
	// RequireEncryptedFiles lists installed paths (a path covers
	// everything below it; "/" the whole tree) and path.Match patterns
	// where the files tree must hold encrypted files (NAME.age) only: a
	// plaintext file there refuses the revision (docs/secrets.md).
	RequireEncryptedFiles []string `yaml:"require_encrypted_files"`
}

// TrustGit is the signing policy of the git source: when either file is
// set, the branch head must be signed by a key one of them trusts.
type TrustGit struct {
	// AllowedSigners trusts SSH keys (git's allowed_signers format).
	AllowedSigners string `yaml:"allowed_signers"`
	// OpenPGPKeyring trusts OpenPGP keys (an armored public keyring).
	OpenPGPKeyring string `yaml:"openpgp_keyring"`
}

// TrustSFTP is the signing policy of the SFTP source: when set, every
// manifest must be signed by a key it trusts (berth publish --sign-key).
type TrustSFTP struct {
	// AllowedSigners trusts SSH keys, in the allowed_signers format.
	AllowedSigners string `yaml:"allowed_signers"`
}

// GitSigned reports whether the git source must deliver signed heads.
func (t Trust) GitSigned() bool { return t.Git.AllowedSigners != "" || t.Git.OpenPGPKeyring != "" }

func (c *Config) validateTrust() error {
	t := c.Trust
	files := map[string]string{
		"trust.git.allowed_signers":  t.Git.AllowedSigners,
		"trust.git.openpgp_keyring":  t.Git.OpenPGPKeyring,
		"trust.sftp.allowed_signers": t.SFTP.AllowedSigners,
	}
	for key, p := range files {
		if p != "" && !filepath.IsAbs(p) {
			return bad(key, "must be an absolute path, got %q", p)
		}
	}
	if t.GitSigned() && c.Source.Git == nil {
		return bad("trust.git", "applies to source.git, which is not configured")
	}
	if t.SFTP.AllowedSigners != "" && c.Source.SFTP == nil {
		return bad("trust.sftp.allowed_signers", "applies to source.sftp, which is not configured")
	}
	for _, p := range t.RequireEncryptedFiles {
		if _, err := path.Match(p, ""); err != nil || !strings.HasPrefix(p, "/") || path.Clean(p) != p {
			return bad("trust.require_encrypted_files", "%q must be an installed path or pattern, absolute and clean, such as /etc/wireguard or /etc/*/*.key", p)
		}
	}
	if t.MaxAge < 0 {
		return bad("trust.max_age", "must not be negative")
	}
	return nil
}
