package config

// Retention bounds what past deployments keep on disk.
type Retention struct {
	// Generations is how many of the newest system profile generations
	// to keep; the booted, running and last good systems are kept
	// besides. 0 keeps all.
	Generations int `yaml:"generations"`
	// GCMinFree, in bytes, collects garbage when the file system of /nix
	// has less free space than this; 0 never collects.
	GCMinFree int64 `yaml:"gc_min_free"`
}

// Drift says what the agent does when the running system is no longer
// the one it applied (a manual nixos-rebuild switch or --rollback).
type Drift struct {
	// Policy is "report" (status, metrics and reports say so), "reapply"
	// (apply the branch again) or "hold" (report and apply nothing until
	// the branch changes).
	Policy string `yaml:"policy"`
}

// DriftPolicies are the values drift.policy accepts.
var DriftPolicies = []string{"report", "reapply", "hold"}

func (c *Config) validateLifecycle() error {
	if c.Retention.Generations < 0 {
		return bad("retention.generations", "must not be negative, got %d", c.Retention.Generations)
	}
	if c.Retention.GCMinFree < 0 {
		return bad("retention.gc_min_free", "must not be negative, got %d", c.Retention.GCMinFree)
	}
	switch c.Drift.Policy {
	case "report", "reapply", "hold":
	default:
		return bad("drift.policy", "must be report, reapply or hold, got %q", c.Drift.Policy)
	}
	return nil
}
