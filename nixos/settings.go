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
	// Quiet runs nix at low priority (quiet.go).
	Quiet QuietSettings `yaml:"quiet"`
}

// QuietSettings is nix.quiet: nix builds and downloads run in a transient
// systemd scope with low priority, so a build does not freeze the session.
type QuietSettings struct {
	Enabled bool `yaml:"enabled"`
	// CPUWeight and IOWeight are the scope's weights, 1-10000 (systemd's
	// default is 100).
	CPUWeight int `yaml:"cpu_weight"`
	IOWeight  int `yaml:"io_weight"`
	// Nice is the nix process's nice level, -20..19.
	Nice int `yaml:"nice"`
	// MemoryMax caps the scope's memory in bytes; 0 sets no cap.
	MemoryMax int64 `yaml:"memory_max"`
}

// DefaultSettings build nixosConfigurations.<host> with the nix on PATH.
func DefaultSettings() Settings {
	return Settings{
		Attribute:    "nixosConfigurations.{hostname}.config.system.build.toplevel",
		BuildTimeout: 2 * time.Hour,
		Command:      "nix",
		Profile:      "/nix/var/nix/profiles/system",
		GCRootDir:    "/nix/var/nix/gcroots/berth",
		Quiet:        QuietSettings{Enabled: true, CPUWeight: 20, IOWeight: 20, Nice: 10},
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
	if err := settings.Abs("gc_root_dir", s.GCRootDir); err != nil {
		return err
	}
	return settings.Under("quiet", s.Quiet.Validate())
}

// Validate checks q. An error is a *settings.Error naming the key inside
// nix.quiet.
func (q *QuietSettings) Validate() error {
	for _, w := range []struct {
		key string
		v   int
	}{{"cpu_weight", q.CPUWeight}, {"io_weight", q.IOWeight}} {
		if w.v < 1 || w.v > 10000 {
			return settings.Errorf(w.key, "must be between 1 and 10000, got %d", w.v)
		}
	}
	if q.Nice < -20 || q.Nice > 19 {
		return settings.Errorf("nice", "must be between -20 and 19, got %d", q.Nice)
	}
	if q.MemoryMax < 0 {
		return settings.Errorf("memory_max", "must not be negative, got %d", q.MemoryMax)
	}
	return nil
}

// Scope is the low priority nix runs at under q, nil when turned off.
func (q QuietSettings) Scope() *Quiet {
	if !q.Enabled {
		return nil
	}
	return &Quiet{CPUWeight: q.CPUWeight, IOWeight: q.IOWeight, Nice: q.Nice, MemoryMax: q.MemoryMax}
}

// String describes s; it holds no secret.
func (s Settings) String() string {
	return fmt.Sprintf("%s builds %s (timeout %s) into %s", s.Command, s.Attribute, s.BuildTimeout, s.Profile)
}

// Nix returns the nix of s.
func (s Settings) Nix() *Nix {
	return &Nix{Command: s.Command, BuildTimeout: s.BuildTimeout, Quiet: s.Quiet.Scope()}
}
