package activate

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/berth-nix/berth/internal/settings"
)

// HookSettings is the hooks section of the agent's configuration file:
// the admin's commands run around each attempt (see Hooks).
type HookSettings struct {
	// Pre hooks run after the build and before anything changes; a failing
	// one aborts the attempt.
	Pre []Hook `yaml:"pre"`
	// Post hooks run after the attempt with its outcome; their failure is
	// logged only.
	Post []Hook `yaml:"post"`
}

// DefaultHookTimeout is a hook's timeout when the configuration sets none.
const DefaultHookTimeout = 5 * time.Minute

var hookName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Validate fills the default timeouts of s and checks it. An error is a
// *settings.Error naming the key inside the section.
func (s *HookSettings) Validate() error {
	for _, list := range []struct {
		key   string
		hooks []Hook
	}{{"pre", s.Pre}, {"post", s.Post}} {
		seen := map[string]bool{}
		for i := range list.hooks {
			h := &list.hooks[i]
			if h.Timeout == 0 {
				h.Timeout = DefaultHookTimeout
			}
			switch {
			case !hookName.MatchString(h.Name) || seen[h.Name]:
				return settings.Errorf(list.key, "hook %d: name %q must be unique, letters, digits and _ . -", i+1, h.Name)
			case len(h.Argv) == 0 || !filepath.IsAbs(h.Argv[0]):
				return settings.Errorf(list.key, "hook %q: command must be a list whose first item is an absolute path", h.Name)
			case h.Timeout < 0:
				return settings.Errorf(list.key, "hook %q: timeout must be positive", h.Name)
			}
			seen[h.Name] = true
		}
	}
	return nil
}

// String names the hooks; their commands may carry secrets and are not
// shown.
func (s HookSettings) String() string {
	names := func(hs []Hook) string {
		out := make([]string, len(hs))
		for i, h := range hs {
			out[i] = h.Name
		}
		return "[" + strings.Join(out, " ") + "]"
	}
	return fmt.Sprintf("hooks pre %s post %s", names(s.Pre), names(s.Post))
}

// Hooks returns the hooks of s for host, or nil when there are none.
func (s HookSettings) Hooks(host string) *Hooks {
	if len(s.Pre)+len(s.Post) == 0 {
		return nil
	}
	return &Hooks{Host: host, Pre: s.Pre, Post: s.Post}
}
