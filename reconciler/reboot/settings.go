package reboot

import (
	"fmt"
	"time"

	"github.com/berth-nix/berth/internal/settings"
)

// Settings is the reboot section of the agent's configuration file:
// whether the machine restarts by itself when an applied system has a
// new kernel, initrd or kernel modules.
type Settings struct {
	// Policy is "never" (only report that a reboot is needed) or "window"
	// (reboot automatically inside Window).
	Policy string `yaml:"policy"`
	// Window is "HH:MM-HH:MM" in local time; it may cross midnight.
	Window string `yaml:"window"`
	// Delay is the time between warning the users and rebooting.
	Delay time.Duration `yaml:"delay"`
	// AllowWithSessions reboots even while a user is logged in.
	AllowWithSessions bool `yaml:"allow_with_sessions"`
}

// DefaultSettings only report that a reboot is needed.
func DefaultSettings() Settings { return Settings{Policy: "never", Delay: 5 * time.Minute} }

// Validate checks s. An error is a *settings.Error naming the key inside
// the section.
func (s *Settings) Validate() error {
	if s.Policy != "never" && s.Policy != "window" {
		return settings.Errorf("policy", "must be never or window, got %q", s.Policy)
	}
	if s.Policy == "window" || s.Window != "" {
		if _, err := ParseWindow(s.Window); err != nil {
			return settings.Errorf("window", "%v (required with policy window)", err)
		}
	}
	if s.Delay < 0 {
		return settings.Errorf("delay", "must not be negative")
	}
	return nil
}

// String describes s; it holds no secret.
func (s Settings) String() string {
	if s.Policy != "window" {
		return "reboot never"
	}
	return fmt.Sprintf("reboot in %s after %s, with sessions %t", s.Window, s.Delay, s.AllowWithSessions)
}

// AutoPolicy is the policy of a scheduler that reboots by itself, or nil
// under policy never. s must be valid.
func (s Settings) AutoPolicy() *Policy {
	if s.Policy != "window" {
		return nil
	}
	w, err := ParseWindow(s.Window)
	if err != nil {
		return nil
	}
	return &Policy{Window: &w, Delay: s.Delay, AllowWithSessions: s.AllowWithSessions}
}
