package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"time"
)

// Hooks are commands run around each attempt.
type Hooks struct {
	// Pre hooks run after the build and before anything changes; a failing
	// one aborts the attempt.
	Pre []Hook `yaml:"pre"`
	// Post hooks run after the attempt with its outcome; their failure is
	// logged only.
	Post []Hook `yaml:"post"`
}

// Hook is one command.
type Hook struct {
	Name    string   `yaml:"name"`
	Command []string `yaml:"command"`
	// Timeout kills the hook; default 5m.
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultHookTimeout is a hook's timeout when it sets none.
const DefaultHookTimeout = 5 * time.Minute

var hookName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func (c *Config) validateHooks() error {
	seen := map[string]bool{}
	for kind, hooks := range map[string][]Hook{"pre": c.Hooks.Pre, "post": c.Hooks.Post} {
		for i := range hooks {
			h := &hooks[i]
			key := fmt.Sprintf("hooks.%s", kind)
			if h.Timeout == 0 {
				h.Timeout = DefaultHookTimeout
			}
			switch {
			case !hookName.MatchString(h.Name) || seen[kind+h.Name]:
				return bad(key, "hook %d: name %q must be unique, letters, digits and _ . -", i+1, h.Name)
			case len(h.Command) == 0 || !filepath.IsAbs(h.Command[0]):
				return bad(key, "hook %q: command must be a list whose first item is an absolute path", h.Name)
			case h.Timeout < 0:
				return bad(key, "hook %q: timeout must be positive", h.Name)
			}
			seen[kind+h.Name] = true
		}
	}
	return nil
}
