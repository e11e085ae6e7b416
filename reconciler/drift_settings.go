package reconciler

import (
	"github.com/berth-nix/berth/internal/settings"
)

// DriftSettings is the drift section of the agent's configuration file:
// what the agent does when the running system is no longer the one it
// applied (a manual nixos-rebuild switch or --rollback).
type DriftSettings struct {
	// Policy is "report" (status, metrics and reports say so), "reapply"
	// (apply the branch again) or "hold" (report and apply nothing until
	// the branch changes).
	Policy string `yaml:"policy"`
}

// DefaultDriftSettings only report drift.
func DefaultDriftSettings() DriftSettings { return DriftSettings{Policy: DriftReport} }

// Validate checks s. An error is a *settings.Error naming the key inside
// the section.
func (s *DriftSettings) Validate() error {
	switch s.Policy {
	case DriftReport, DriftReapply, DriftHold:
		return nil
	}
	return settings.Errorf("policy", "must be report, reapply or hold, got %q", s.Policy)
}

// String describes s; it holds no secret.
func (s DriftSettings) String() string { return "drift " + s.Policy }
