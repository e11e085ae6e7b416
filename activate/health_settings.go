package activate

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/berth-nix/berth/health"
	"github.com/berth-nix/berth/internal/settings"
)

// HealthSettings is the health section of the agent's configuration
// file: the checks that judge a switch and the dead-man switch that covers
// an agent dying before its verdict.
type HealthSettings struct {
	// Checks are the agent's own checks (see health.Spec).
	Checks []health.Spec `yaml:"checks"`
	// Reachability checks after every switch that the source still
	// answers, with the agent's credentials.
	Reachability ReachabilitySettings `yaml:"reachability"`
	// HostChecksFile is read from the host's directory of each revision,
	// relative to it; "" ignores such files.
	HostChecksFile string `yaml:"host_checks_file"`
	// MaxDeadline bounds the deadline of every check, the host file's too.
	MaxDeadline time.Duration   `yaml:"max_deadline"`
	DeadMan     DeadManSettings `yaml:"deadman"`
}

// ReachabilitySettings configure the built-in source reachability check.
type ReachabilitySettings struct {
	Enabled  bool          `yaml:"enabled"`
	Timeout  time.Duration `yaml:"timeout"`
	Interval time.Duration `yaml:"interval"`
	Deadline time.Duration `yaml:"deadline"`
}

// DeadManSettings configure the timer armed before each switch that
// re-activates the previous system unless the agent reaches a verdict
// first.
type DeadManSettings struct {
	Enabled bool `yaml:"enabled"`
	// Window is how long after arming the timer fires; 0 means
	// activation.test_timeout + activation.settle + health.max_deadline +
	// 2m. It must leave the agent time for all of those.
	Window time.Duration `yaml:"window"`
}

// DefaultHealthSettings check that the source answers after each switch
// and arm the dead-man switch.
func DefaultHealthSettings() HealthSettings {
	return HealthSettings{
		Reachability:   ReachabilitySettings{Enabled: true, Timeout: 30 * time.Second, Interval: 5 * time.Second, Deadline: 2 * time.Minute},
		HostChecksFile: health.HostChecksFile,
		MaxDeadline:    5 * time.Minute,
		DeadMan:        DeadManSettings{Enabled: true},
	}
}

// ReachabilityName is the name of the built-in reachability check.
const ReachabilityName = "source-reachable"

// Validate normalizes the checks of s and checks it, all but the
// dead-man window, whose bound depends on the activation section.
// An error is a *settings.Error naming the key inside the section.
func (s *HealthSettings) Validate() error {
	if s.MaxDeadline <= 0 {
		return settings.Errorf("max_deadline", "must be positive")
	}
	if f := s.HostChecksFile; f != "" && (filepath.IsAbs(f) || !filepath.IsLocal(f)) {
		return settings.Errorf("host_checks_file", "must be a path inside the host directory, got %q", f)
	}
	if err := s.validateChecks(); err != nil {
		return err
	}
	if err := s.Reachability.validate(s.MaxDeadline); err != nil {
		return err
	}
	return nil
}

func (s *HealthSettings) validateChecks() error {
	for i := range s.Checks {
		c := &s.Checks[i]
		if err := c.Normalize(); err != nil {
			return settings.Errorf("checks", "check %d (%q): %v", i+1, c.Name, err)
		}
		if c.Deadline > s.MaxDeadline {
			return settings.Errorf("checks", "check %q: deadline %s exceeds health.max_deadline %s", c.Name, c.Deadline, s.MaxDeadline)
		}
	}
	if err := health.Unique(append(slices.Clone(s.Checks), s.ReachabilitySpecs()...)); err != nil {
		return settings.Errorf("checks", "%v", err)
	}
	return nil
}

func (r ReachabilitySettings) validate(max time.Duration) error {
	if !r.Enabled {
		return nil
	}
	if r.Timeout <= 0 || r.Interval <= 0 || r.Deadline <= 0 {
		return settings.Errorf("reachability", "timeout, interval and deadline must be positive")
	}
	if r.Deadline > max || r.Deadline < r.Timeout+health.ResolverCacheAge {
		return settings.Errorf("reachability.deadline", "must be at least the timeout plus %s (the first poll waits for the resolver) and at most health.max_deadline (%s), got %s",
			health.ResolverCacheAge, max, r.Deadline)
	}
	return nil
}

// ReachabilitySpecs is the built-in reachability check as a spec, or
// nothing when it is disabled.
func (s HealthSettings) ReachabilitySpecs() []health.Spec {
	r := s.Reachability
	if !r.Enabled {
		return nil
	}
	return []health.Spec{{Name: ReachabilityName, Kind: health.KindReachability, Phase: health.PhaseVerify,
		Timeout: r.Timeout, Interval: r.Interval, Deadline: r.Deadline}}
}

// String describes s; checks are named, not shown, since a command or a
// URL may carry a secret.
func (s HealthSettings) String() string {
	names := make([]string, 0, len(s.Checks)+1)
	for _, c := range append(slices.Clone(s.Checks), s.ReachabilitySpecs()...) {
		names = append(names, c.Name)
	}
	return fmt.Sprintf("health checks %v, host file %q, max deadline %s, dead-man %t", names, s.HostChecksFile, s.MaxDeadline, s.DeadMan.Enabled)
}

// Health returns the checks of s, the built-in ones among them, run in
// env.
func (s HealthSettings) Health(env health.Env) *Health {
	return &Health{
		Checks:      append(slices.Clone(s.Checks), s.ReachabilitySpecs()...),
		HostFile:    s.HostChecksFile,
		MaxDeadline: s.MaxDeadline,
		Env:         env,
	}
}
