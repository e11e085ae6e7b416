package config

import "github.com/berth-nix/berth/internal/settings"

// Notify configures desktop notifications to logged-in graphical users.
type Notify struct {
	Enabled bool `yaml:"enabled"`
}

// Power configures laptop awareness.
type Power struct {
	// DeferOnBattery holds reconciles while the machine runs on battery.
	DeferOnBattery bool `yaml:"defer_on_battery"`
}

func (c *Config) validateReboot() error { return settings.Under("reboot", c.Reboot.Validate()) }
