package config

import (
	"path"
	"strings"
	"time"

	"github.com/berth-nix/berth/internal/settings"
	gitsource "github.com/berth-nix/berth/source/git"
	sftpsource "github.com/berth-nix/berth/source/sftp"
)

// Trust narrows who can make this host apply a configuration
// (docs/security.md). With no key file set, whoever can write to the
// source is trusted.
type Trust struct {
	Git  gitsource.TrustSettings  `yaml:"git"`
	SFTP sftpsource.TrustSettings `yaml:"sftp"`
	// MaxAge, when positive, reports the source as stale once it has
	// answered the same revision, or not answered at all, for longer.
	MaxAge time.Duration `yaml:"max_age"`
	// RequireEncryptedFiles lists installed paths (a path covers
	// everything below it; "/" the whole tree) and path.Match patterns
	// where the files tree must hold encrypted files (NAME.age) only: a
	// plaintext file there refuses the revision (docs/secrets.md).
	RequireEncryptedFiles []string `yaml:"require_encrypted_files"`
}

func (c *Config) validateTrust() error {
	t := c.Trust
	if err := settings.Under("trust.git", t.Git.Validate()); err != nil {
		return err
	}
	if err := settings.Under("trust.sftp", t.SFTP.Validate()); err != nil {
		return err
	}
	if t.Git.Signed() && c.Source.Git == nil {
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
