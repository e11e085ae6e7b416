package sftpsource

import (
	"fmt"
	"net"
	"path"
	"path/filepath"

	"github.com/berth-nix/berth/internal/settings"
)

// Settings is the source.sftp section of the agent's configuration file
// (docs/sftp.md): the host logs in to its own chrooted account and reads
// what `berth publish` wrote there. The agent adds what it derives (host,
// directories, limits) with Apply.
type Settings struct {
	// Address is the server's host:port; a bare host means port 22.
	Address string `yaml:"address"`
	// User is this host's account on the server.
	User string `yaml:"user"`
	// SSHKeyFile is the host's private key.
	SSHKeyFile string `yaml:"ssh_key_file"`
	// KnownHostsFile pins the server's host key.
	KnownHostsFile string `yaml:"known_hosts_file"`
	// Path is the published configuration directory inside the chroot;
	// DefaultPath when empty.
	Path string `yaml:"path"`
}

// Validate fills the defaults of s and checks it. An error is a
// *settings.Error naming the key inside the section.
func (s *Settings) Validate() error {
	if s.Path == "" {
		s.Path = DefaultPath
	}
	return checkServer(s.Address, s.User, s.SSHKeyFile, s.KnownHostsFile, s.Path)
}

// String describes s; it holds no secret to hide.
func (s Settings) String() string {
	return fmt.Sprintf("sftp %s@%s:%s", s.User, s.Address, s.Path)
}

// Apply returns c with the settings' fields filled in.
func (s Settings) Apply(c Config) Config {
	c.Address, c.User, c.SSHKeyFile, c.KnownHostsFile, c.Path = s.Address, s.User, s.SSHKeyFile, s.KnownHostsFile, s.Path
	return c
}

// checkServer is the one rule for the server, the account and the key
// files; errors name the key.
func checkServer(address, user, sshKeyFile, knownHostsFile, dir string) error {
	if address == "" {
		return settings.Errorf("address", "is required")
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		host, port = address, DefaultPort
	}
	switch {
	case host == "" || port == "":
		return settings.Errorf("address", "must be host or host:port, got %q", address)
	case user == "":
		return settings.Errorf("user", "is required")
	case path.Clean("/"+dir) == "/":
		return settings.Errorf("path", "must name the configuration directory inside the chroot, got %q", dir)
	}
	for _, f := range []struct{ key, path string }{{"ssh_key_file", sshKeyFile}, {"known_hosts_file", knownHostsFile}} {
		if !filepath.IsAbs(f.path) {
			return settings.Errorf(f.key, "is required and must be an absolute path, got %q", f.path)
		}
	}
	return nil
}
