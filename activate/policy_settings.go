package activate

import (
	"fmt"
	"time"

	"github.com/berth-nix/berth/internal/settings"
)

// ActivationSettings is the activation section of the agent's
// configuration file: how a switch is judged and bounded (see Policy).
type ActivationSettings struct {
	// Preflight is "baseline" (units that failed before are left out of
	// the verdict) or "strict" (any failed unit blocks the deploy).
	Preflight   string        `yaml:"preflight"`
	TestTimeout time.Duration `yaml:"test_timeout"`
	BootTimeout time.Duration `yaml:"boot_timeout"`
	// Settle is how long to wait after the switch before judging units.
	Settle time.Duration `yaml:"settle"`
	// LockWait is how long to wait for someone else's
	// switch-to-configuration lock before giving up for this attempt.
	LockWait time.Duration `yaml:"lock_wait"`
	// Inhibitors says what a system whose switch inhibitors changed gets:
	// boot (installed for the next boot), hold (nothing) or force (switch
	// with NIXOS_NO_CHECK=1).
	Inhibitors string `yaml:"inhibitors"`
}

// DefaultActivationSettings leave units that failed before out of the
// verdict.
func DefaultActivationSettings() ActivationSettings {
	return ActivationSettings{
		Preflight:   "baseline",
		TestTimeout: 10 * time.Minute,
		BootTimeout: 5 * time.Minute,
		Settle:      3 * time.Second,
		LockWait:    10 * time.Minute,
		Inhibitors:  InhibitBoot,
	}
}

// Validate checks s. An error is a *settings.Error naming the key inside
// the section.
func (s *ActivationSettings) Validate() error {
	if s.Preflight != "baseline" && s.Preflight != "strict" {
		return settings.Errorf("preflight", "must be baseline or strict, got %q", s.Preflight)
	}
	for _, d := range []struct {
		key string
		d   time.Duration
	}{{"test_timeout", s.TestTimeout}, {"boot_timeout", s.BootTimeout}} {
		if d.d <= 0 {
			return settings.Errorf(d.key, "must be positive")
		}
	}
	if s.Settle < 0 || s.LockWait < 0 {
		return settings.Errorf("settle", "settle and lock_wait must not be negative")
	}
	switch s.Inhibitors {
	case InhibitBoot, InhibitHold, InhibitForce:
	default:
		return settings.Errorf("inhibitors", "must be boot, hold or force, got %q", s.Inhibitors)
	}
	return nil
}

// String describes s; it holds no secret.
func (s ActivationSettings) String() string {
	return fmt.Sprintf("preflight %s, test %s, boot %s, settle %s, lock wait %s", s.Preflight, s.TestTimeout, s.BootTimeout, s.Settle, s.LockWait)
}

// Policy is the policy of s, looking at a running unit or a held lock
// every poll.
func (s ActivationSettings) Policy(poll time.Duration) Policy {
	return Policy{Strict: s.Preflight == "strict", TestTimeout: s.TestTimeout, BootTimeout: s.BootTimeout,
		Settle: s.Settle, LockWait: s.LockWait, Poll: poll, Inhibitors: s.Inhibitors}
}
