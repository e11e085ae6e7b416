package config

import "github.com/berth-nix/berth/internal/settings"

func (c *Config) validateLifecycle() error {
	if err := settings.Under("retention", c.Retention.Validate()); err != nil {
		return err
	}
	return settings.Under("drift", c.Drift.Validate())
}
