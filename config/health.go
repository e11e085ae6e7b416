package config

import (
	"path/filepath"
	"time"

	"github.com/berth-nix/berth/health"
)

// Health configures the checks that judge a switch and the dead-man
// switch that covers an agent dying before its verdict.
type Health struct {
	// Checks are the agent's own checks (see health.Spec).
	Checks []health.Spec `yaml:"checks"`
	// Reachability checks after every switch that the source still
	// answers, with the agent's credentials.
	Reachability Reachability `yaml:"reachability"`
	// HostChecksFile is read from the host's directory of each revision,
	// relative to it; "" ignores such files.
	HostChecksFile string `yaml:"host_checks_file"`
	// MaxDeadline bounds the deadline of every check, the host file's too.
	MaxDeadline time.Duration `yaml:"max_deadline"`
	DeadMan     DeadMan       `yaml:"deadman"`
}

// Reachability configures the built-in source reachability check.
type Reachability struct {
	Enabled  bool          `yaml:"enabled"`
	Timeout  time.Duration `yaml:"timeout"`
	Interval time.Duration `yaml:"interval"`
	Deadline time.Duration `yaml:"deadline"`
}

// DeadMan configures the timer armed before each switch that re-activates
// the previous system unless the agent reaches a verdict first.
type DeadMan struct {
	Enabled bool `yaml:"enabled"`
	// Window is how long after arming the timer fires; 0 means
	// activation.test_timeout + activation.settle + health.max_deadline +
	// 2m. It must leave the agent time for all of those.
	Window time.Duration `yaml:"window"`
}

func defaultHealth() Health {
	return Health{
		Reachability:   Reachability{Enabled: true, Timeout: 30 * time.Second, Interval: 5 * time.Second, Deadline: 2 * time.Minute},
		HostChecksFile: health.HostChecksFile,
		MaxDeadline:    5 * time.Minute,
		DeadMan:        DeadMan{Enabled: true},
	}
}

// deadManSlack is what an automatic dead-man window leaves on top of the
// longest the agent may legitimately take to reach its verdict.
const deadManSlack = 2 * time.Minute

// DeadManWindow is the dead-man window in effect.
func (c *Config) DeadManWindow() time.Duration {
	if c.Health.DeadMan.Window > 0 {
		return c.Health.DeadMan.Window
	}
	return c.verdictBound() + deadManSlack
}

// verdictBound is the longest from arming the dead-man switch to a verdict.
func (c *Config) verdictBound() time.Duration {
	return c.Activate.TestTimeout + c.Activate.Settle + c.Health.MaxDeadline
}

func (c *Config) validateHealth() error {
	h := &c.Health
	if h.MaxDeadline <= 0 {
		return bad("health.max_deadline", "must be positive")
	}
	if f := h.HostChecksFile; f != "" && (filepath.IsAbs(f) || !filepath.IsLocal(f)) {
		return bad("health.host_checks_file", "must be a path inside the host directory, got %q", f)
	}
	if err := c.validateChecks(); err != nil {
		return err
	}
	if err := h.Reachability.validate(h.MaxDeadline); err != nil {
		return err
	}
	w := h.DeadMan.Window
	if w < 0 || (w > 0 && w <= c.verdictBound()) {
		return bad("health.deadman.window", "must be longer than test_timeout + settle + max_deadline (%s), got %s", c.verdictBound(), w)
	}
	return nil
}

func (c *Config) validateChecks() error {
	for i := range c.Health.Checks {
		s := &c.Health.Checks[i]
		if err := s.Normalize(); err != nil {
			return bad("health.checks", "check %d (%q): %v", i+1, s.Name, err)
		}
		if s.Deadline > c.Health.MaxDeadline {
			return bad("health.checks", "check %q: deadline %s exceeds health.max_deadline %s", s.Name, s.Deadline, c.Health.MaxDeadline)
		}
	}
	if err := health.Unique(append(c.Health.Checks, c.ReachabilitySpecs()...)); err != nil {
		return bad("health.checks", "%v", err)
	}
	return nil
}

func (r Reachability) validate(max time.Duration) error {
	if !r.Enabled {
		return nil
	}
	if r.Timeout <= 0 || r.Interval <= 0 || r.Deadline <= 0 {
		return bad("health.reachability", "timeout, interval and deadline must be positive")
	}
	if r.Deadline > max || r.Deadline < r.Timeout+health.ResolverCacheAge {
		return bad("health.reachability.deadline", "must be at least the timeout plus %s (the first poll waits for the resolver) and at most health.max_deadline (%s), got %s",
			health.ResolverCacheAge, max, r.Deadline)
	}
	return nil
}

// ReachabilityName is the name of the built-in reachability check.
const ReachabilityName = "source-reachable"

// ReachabilitySpecs is the built-in reachability check as a spec, or
// nothing when it is disabled.
func (c *Config) ReachabilitySpecs() []health.Spec {
	r := c.Health.Reachability
	if !r.Enabled {
		return nil
	}
	return []health.Spec{{Name: ReachabilityName, Kind: health.KindReachability, Phase: health.PhaseVerify,
		Timeout: r.Timeout, Interval: r.Interval, Deadline: r.Deadline}}
}
