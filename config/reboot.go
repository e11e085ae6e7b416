package config

import (
	"time"

	"github.com/berth-nix/berth/reconciler/reboot"
)

// Reboot configures restarting the machine when an applied system has a
// new kernel, initrd or kernel modules.
type Reboot struct {
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

// Notify configures desktop notifications to logged-in graphical users.
type Notify struct {
	Enabled bool `yaml:"enabled"`
}

// Power configures laptop awareness.
type Power struct {
	// DeferOnBattery holds reconciles while the machine runs on battery.
	DeferOnBattery bool `yaml:"defer_on_battery"`
}

func (c *Config) validateReboot() error {
	r := c.Reboot
	if r.Policy != "never" && r.Policy != "window" {
		return bad("reboot.policy", "must be never or window, got %q", r.Policy)
	}
	if r.Policy == "window" || r.Window != "" {
		if _, err := reboot.ParseWindow(r.Window); err != nil {
			return bad("reboot.window", "%v (required with policy window)", err)
		}
	}
	if r.Delay < 0 {
		return bad("reboot.delay", "must not be negative")
	}
	return nil
}
