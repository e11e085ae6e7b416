package config

import "github.com/berth-nix/berth/internal/settings"

// validateSourceKind checks that exactly one source is configured and
// validates it.
func (c *Config) validateSourceKind() error {
	s := c.Source
	switch {
	case s.Git != nil && s.SFTP != nil:
		return bad("source.sftp", "set either source.git or source.sftp, not both")
	case s.SFTP != nil:
		return settings.Under("source.sftp", s.SFTP.Validate())
	case s.Git != nil:
		return settings.Under("source.git", s.Git.Validate())
	}
	return bad("source", "no source configured: set source.git or source.sftp")
}
