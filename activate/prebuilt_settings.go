package activate

import (
	"fmt"

	"github.com/berth-nix/berth/internal/redact"
	"github.com/berth-nix/berth/internal/settings"
	"github.com/berth-nix/berth/prebuilt"
)

// PrebuiltSettings is the prebuilt section of the agent's configuration
// file (docs/prebuilt.md): which systems built elsewhere a host directory
// may declare. Who may sign them is not berth's to say: Nix checks
// signatures against trusted-public-keys in the host's nix.conf.
type PrebuiltSettings struct {
	// Substituters are the binary caches a prebuilt.json may name; one
	// that names none is fetched from all of them, in order. A cache the
	// repository names that is not listed here is refused.
	Substituters []string `yaml:"substituters"`
	// MatchFlake requires a flake beside prebuilt.json whose toplevel
	// evaluates to the declared path (an evaluation, no build).
	MatchFlake bool `yaml:"match_flake"`
}

// Validate checks s. An error is a *settings.Error naming the key inside
// the section.
func (s *PrebuiltSettings) Validate() error {
	for i, u := range s.Substituters {
		if err := prebuilt.CheckCacheURL(u); err != nil {
			return settings.Errorf("substituters", "entry %d (%q): %v", i, redact.URL(u), err)
		}
	}
	return nil
}

// String describes s without any secret.
func (s PrebuiltSettings) String() string {
	caches := make([]string, len(s.Substituters))
	for i, u := range s.Substituters {
		caches[i] = redact.URL(u)
	}
	return fmt.Sprintf("prebuilt from %v, match_flake %t", caches, s.MatchFlake)
}

// Prebuilt returns the builder of s: it fetches declared systems with
// fetch and builds flakes with b.
func (s PrebuiltSettings) Prebuilt(b Builder, fetch Realiser) *Prebuilt {
	return &Prebuilt{Builder: b, Fetch: fetch, Allowed: s.Substituters, MatchFlake: s.MatchFlake}
}
