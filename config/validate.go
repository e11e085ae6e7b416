package config

import (
	"path/filepath"
	"strings"

	"github.com/berth-nix/berth/internal/hostname"
	"github.com/berth-nix/berth/internal/settings"
)

// bad is a validation failure of one key, given as a dotted path.
func bad(key, format string, args ...any) error { return settings.Errorf(key, format, args...) }

func (c *Config) validate() error {
	checks := []func() error{c.validateTop, c.validateSource, c.validateNix, c.validateSchedule, c.validateActivation, c.validateControl, c.validateFilesReport, c.validateHealth, c.validateHooks, c.validateTrust, c.validatePrebuilt, c.validateReboot, c.validateHub, c.validateLifecycle}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateFilesReport() error {
	if err := settings.Under("files", c.Files.Validate()); err != nil {
		return err
	}
	return settings.Under("report", c.Report.Validate())
}

func (c *Config) validateHooks() error { return settings.Under("hooks", c.Hooks.Validate()) }

func (c *Config) validatePrebuilt() error {
	return settings.Under("prebuilt", c.Prebuilt.Validate())
}

func (c *Config) validateTop() error {
	if !hostname.Valid(c.Hostname) {
		return bad("hostname", "%q is not a valid host name (%s)", c.Hostname, hostname.Rule)
	}
	if err := settings.Abs("state_dir", c.StateDir); err != nil {
		return err
	}
	if c.History.Keep < 1 {
		return bad("history.keep", "must be at least 1, got %d", c.History.Keep)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	return nil
}

func (c *Config) validateSource() error {
	s := c.Source
	dir := c.Expand(s.HostDir)
	if dir == "" || filepath.IsAbs(dir) || strings.HasPrefix(filepath.Clean(dir), "..") {
		return bad("source.host_dir", "must be a relative path inside the repository, got %q", s.HostDir)
	}
	if s.Timeout <= 0 {
		return bad("source.timeout", "must be positive")
	}
	if s.MaxFiles < 1 || s.MaxBytes < 1 || s.MaxDepth < 1 {
		return bad("source.max_files", "max_files, max_bytes and max_depth must be positive")
	}
	if s.MaxFetchBytes < 1 {
		return bad("source.max_fetch_bytes", "must be positive")
	}
	return c.validateSourceKind()
}

func (c *Config) validateNix() error { return settings.Under("nix", c.Nix.Validate()) }

func (c *Config) validateSchedule() error {
	return settings.Under("schedule", c.Schedule.Validate())
}

func (c *Config) validateActivation() error {
	return settings.Under("activation", c.Activate.Validate())
}
