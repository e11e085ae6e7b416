package nixos

import (
	"fmt"
	"time"

	"github.com/berth-nix/berth/internal/settings"
)

// Settings is the nix section of the agent's configuration file: what is
// built and where the result is kept.
type Settings struct {
	// Attribute is the flake attribute of the system; {hostname} is replaced.
	Attribute    string        `yaml:"attribute"`
	BuildTimeout time.Duration `yaml:"build_timeout"`
	// Command is the nix binary.
	Command string `yaml:"command"`
	// Profile is the system profile promoted on success.
	Profile string `yaml:"profile"`
	// GCRootDir keeps the built and the last good system alive.
	GCRootDir string `yaml:"gc_root_dir"`
}

// DefaultSettings build nixosConfigurations.<host> with the nix on PATH.
func DefaultSettings() Settings {
	return Settings{
		Attribute:    "nixosConfigurations.{hostname}.config.system.build.toplevel",
		BuildTimeout: 2 * time.Hour,
		Command:      "nix",
		Profile:      "/nix/var/nix/profiles/system",
		GCRootDir:    "/nix/var/nix/gcroots/berth",
	}
}

// Validate checks s. An error is a *settings.Error naming the key inside
// the section.
func (s *Settings) Validate() error {
	if s.Attribute == "" {
		return settings.Errorf("attribute", "is required")
	}
	if s.BuildTimeout <= 0 {
		return settings.Errorf("build_timeout", "must be positive")
	}
	if s.Command == "" {
		return settings.Errorf("command", "is required")
	}
	if err := settings.Abs("profile", s.Profile); err != nil {
		return err
	}
	return settings.Abs("gc_root_dir", s.GCRootDir)
}

// String describes s; it holds no secret.
func (s Settings) String() string {
	return fmt.Sprintf("%s builds %s (timeout %s) into %s", s.Command, s.Attribute, s.BuildTimeout, s.Profile)
}

// Nix returns the nix of s.
func (s Settings) Nix() *Nix { return &Nix{Command: s.Command, BuildTimeout: s.BuildTimeout} }
