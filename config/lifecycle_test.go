package config

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/nixos"
)

// TestLifecycleDefaults: the lifecycle keys owned by nixos, activate and
// reconciler keep their defaults when composed here.
func TestLifecycleDefaults(t *testing.T) {
	c, err := Parse("c.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	q := c.Nix.Nix().Quiet
	if q == nil || *q != (nixos.Quiet{CPUWeight: 20, IOWeight: 20, Nice: 10}) {
		t.Errorf("nix.quiet: got %+v, want weights 20, nice 10", q)
	}
	if c.Activate.Policy(time.Second).Inhibitors != "boot" || c.Control.PostponeMax != 4*time.Hour {
		t.Errorf("got inhibitors %q postpone_max %s, want boot and 4h", c.Activate.Inhibitors, c.Control.PostponeMax)
	}
	if c.Retention.Generations != 5 || c.Retention.GCMinFree != 0 || c.Drift.Policy != "report" {
		t.Errorf("got retention %+v drift %+v", c.Retention, c.Drift)
	}
	c, err = Parse("c.yaml", []byte(minimal+"nix:\n  quiet:\n    enabled: false\nactivation:\n  inhibitors: force\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Nix.Nix().Quiet != nil || c.Activate.Policy(time.Second).Inhibitors != "force" {
		t.Errorf("got quiet %+v inhibitors %q, want none and force", c.Nix.Nix().Quiet, c.Activate.Inhibitors)
	}
}

func TestLifecycleErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"nix:\n  quiet:\n    cpu_weight: 0\n", "nix.quiet.cpu_weight: must be between 1 and 10000, got 0"},
		{"nix:\n  quiet:\n    io_weight: 10001\n", "nix.quiet.io_weight: must be between 1 and 10000, got 10001"},
		{"nix:\n  quiet:\n    nice: 20\n", "nix.quiet.nice: must be between -20 and 19, got 20"},
		{"nix:\n  quiet:\n    memory_max: -1\n", "nix.quiet.memory_max: must not be negative, got -1"},
		{"activation:\n  inhibitors: maybe\n", `activation.inhibitors: must be boot, hold or force, got "maybe"`},
		{"control:\n  postpone_max: -1h\n", "control.postpone_max: must not be negative"},
		{"retention:\n  generations: -1\n", "retention.generations: must not be negative, got -1"},
		{"retention:\n  gc_min_free: -1\n", "retention.gc_min_free: must not be negative, got -1"},
		{"drift:\n  policy: ignore\n", `drift.policy: must be report, reapply or hold, got "ignore"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(minimal+tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
