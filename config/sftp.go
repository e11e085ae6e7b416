package config

import (
	"net"
	"path"
	"path/filepath"
)

// SFTP configures the SFTP source (docs/sftp.md): the host logs in to its
// own chrooted account and reads what `berth publish` wrote there.
type SFTP struct {
	// Address is the server's host:port; a bare host means port 22.
	Address string `yaml:"address"`
	// User is this host's account on the server.
	User string `yaml:"user"`
	// SSHKeyFile is the host's private key.
	SSHKeyFile string `yaml:"ssh_key_file"`
	// KnownHostsFile pins the server's host key.
	KnownHostsFile string `yaml:"known_hosts_file"`
	// Path is the published configuration directory inside the chroot;
	// "config" when empty.
	Path string `yaml:"path"`
}

// validateSourceKind checks that exactly one source is configured and
// validates it.
func (c *Config) validateSourceKind() error {
	s := c.Source
	switch {
	case s.Git != nil && s.SFTP != nil:
		return bad("source.sftp", "set either source.git or source.sftp, not both")
	case s.SFTP != nil:
		return c.validateSFTP(s.SFTP)
	case s.Git != nil:
		return c.validateGit(s.Git)
	}
	return bad("source", "no source configured: set source.git or source.sftp")
}

func (c *Config) validateSFTP(s *SFTP) error {
	if s.Path == "" {
		s.Path = "config"
	}
	if s.Address == "" {
		return bad("source.sftp.address", "is required")
	}
	host, port, err := net.SplitHostPort(s.Address)
	if err != nil {
		host, port = s.Address, "22"
	}
	if host == "" || port == "" {
		return bad("source.sftp.address", "must be host or host:port, got %q", s.Address)
	}
	if s.User == "" {
		return bad("source.sftp.user", "is required")
	}
	if path.Clean("/"+s.Path) == "/" {
		return bad("source.sftp.path", "must name the configuration directory inside the chroot, got %q", s.Path)
	}
	for key, p := range map[string]string{"ssh_key_file": s.SSHKeyFile, "known_hosts_file": s.KnownHostsFile} {
		if !filepath.IsAbs(p) {
			return bad("source.sftp."+key, "is required and must be an absolute path, got %q", p)
		}
	}
	return nil
}
