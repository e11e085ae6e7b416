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

// Quiet runs nix builds and downloads in a transient systemd scope with
// low priority, so a build does not freeze the session.
type Quiet struct {
	Enabled bool `yaml:"enabled"`
	// CPUWeight and IOWeight are the scope's weights, 1-10000 (systemd's
	// default is 100).
	CPUWeight int `yaml:"cpu_weight"`
	IOWeight  int `yaml:"io_weight"`
	// Nice is the nix process's nice level, -20..19.
	Nice int `yaml:"nice"`
	// MemoryMax caps the scope's memory in bytes; 0 sets no cap.
	MemoryMax int64 `yaml:"memory_max"`
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
	q := c.Nix.Quiet
	for _, w := range []struct {
		key string
		v   int
	}{{"nix.quiet.cpu_weight", q.CPUWeight}, {"nix.quiet.io_weight", q.IOWeight}} {
		if w.v < 1 || w.v > 10000 {
			return bad(w.key, "must be between 1 and 10000, got %d", w.v)
		}
	}
	if q.Nice < -20 || q.Nice > 19 {
		return bad("nix.quiet.nice", "must be between -20 and 19, got %d", q.Nice)
	}
	if q.MemoryMax < 0 {
		return bad("nix.quiet.memory_max", "must not be negative, got %d", q.MemoryMax)
	}
	switch c.Activate.Inhibitors {
	case "boot", "hold", "force":
	default:
		return bad("activation.inhibitors", "must be boot, hold or force, got %q", c.Activate.Inhibitors)
	}
	switch c.Drift.Policy {
	case "report", "reapply", "hold":
	default:
		return bad("drift.policy", "must be report, reapply or hold, got %q", c.Drift.Policy)
	}
	return nil
}
