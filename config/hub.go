package config

import "github.com/berth-nix/berth/internal/settings"

func (c *Config) validateHub() error { return settings.Under("hub", c.Hub.Validate()) }
