package config

import (
	"time"

	"github.com/berth-nix/berth/internal/settings"
)

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
	if err := settings.Under("health", c.Health.Validate()); err != nil {
		return err
	}
	w := c.Health.DeadMan.Window
	if w < 0 || (w > 0 && w <= c.verdictBound()) {
		return bad("health.deadman.window", "must be longer than test_timeout + settle + max_deadline (%s), got %s", c.verdictBound(), w)
	}
	return nil
}
