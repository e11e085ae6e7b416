package nixos

import (
	"fmt"

	"github.com/berth-nix/berth/internal/settings"
)

// RetentionSettings is the retention section of the agent's configuration
// file: what past deployments keep on disk (see Retention).
type RetentionSettings struct {
	// Generations is how many of the newest system profile generations
	// to keep; the booted, running and last good systems are kept
	// besides. 0 keeps all.
	Generations int `yaml:"generations"`
	// GCMinFree, in bytes, collects garbage when the file system of /nix
	// has less free space than this; 0 never collects.
	GCMinFree int64 `yaml:"gc_min_free"`
}

// DefaultRetentionSettings keep five generations and never collect
// garbage.
func DefaultRetentionSettings() RetentionSettings { return RetentionSettings{Generations: 5} }

// Validate checks s. An error is a *settings.Error naming the key inside
// the section.
func (s *RetentionSettings) Validate() error {
	if s.Generations < 0 {
		return settings.Errorf("generations", "must not be negative, got %d", s.Generations)
	}
	if s.GCMinFree < 0 {
		return settings.Errorf("gc_min_free", "must not be negative, got %d", s.GCMinFree)
	}
	return nil
}

// String describes s; it holds no secret.
func (s RetentionSettings) String() string {
	return fmt.Sprintf("keep %d generations, collect below %d bytes free", s.Generations, s.GCMinFree)
}
