package main

import (
	"context"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/health"
	"github.com/berth-nix/berth/nixos"
	"github.com/berth-nix/berth/source"
)

// withHealth gives act its checks, dead-man switch and hooks from c. The
// reachability check polls src, the agent's own source, with the same
// credentials the agent fetches with.
func withHealth(c *config.Config, act *activate.Activator, src source.Source, sd *nixos.Systemd) {
	act.Health = c.Health.Health(health.Env{Systemd: sd.Conn(), Reachability: reachability(src)})
	if c.Health.DeadMan.Enabled {
		act.DeadMan = &activate.DeadMan{Conn: sd.Conn(), Window: c.DeadManWindow(), Timeout: c.Activate.TestTimeout}
	}
	act.Hooks = c.Hooks.Hooks(c.Hostname)
}

// reachability probes src on a connection of its own (source.Probe).
func reachability(src source.Source) func(context.Context) error {
	return func(ctx context.Context) error { return source.Probe(ctx, src) }
}
