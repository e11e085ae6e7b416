package files

import (
	"fmt"

	"github.com/berth-nix/berth/internal/settings"
	"github.com/berth-nix/berth/secrets"
)

// Settings is the files section of the agent's configuration file
// (docs/files.md): where the host's verbatim files tree is installed and
// which key opens its encrypted files.
type Settings struct {
	// Root is where the tree is installed; "/" on a real host.
	Root string `yaml:"root"`
	// HostKey is the private key that decrypts the tree's encrypted
	// files (NAME.age): the machine's SSH host key (docs/secrets.md).
	HostKey string `yaml:"host_key"`
}

// DefaultSettings are the settings of a real host.
func DefaultSettings() Settings {
	return Settings{Root: "/", HostKey: "/etc/ssh/ssh_host_ed25519_key"}
}

// Validate checks s. An error is a *settings.Error naming the key inside
// the section.
func (s *Settings) Validate() error {
	if err := settings.Abs("root", s.Root); err != nil {
		return err
	}
	return settings.Abs("host_key", s.HostKey)
}

// String describes s; it names the key file, not the key.
func (s Settings) String() string {
	return fmt.Sprintf("files into %s, decrypted with %s", s.Root, s.HostKey)
}

// Installer returns the installer of s, keeping its own state in
// stateDir and refusing plaintext files where requireEncrypted says.
func (s Settings) Installer(stateDir string, requireEncrypted []string) *Installer {
	return &Installer{Root: s.Root, StateDir: stateDir, Decrypt: &secrets.HostKey{Path: s.HostKey}, RequireEncrypted: requireEncrypted}
}
