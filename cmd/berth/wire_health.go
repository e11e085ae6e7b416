package main

import (
	"context"
	"net/http"
	"slices"

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
	act.Health = &activate.Health{
		Checks:      append(slices.Clone(c.Health.Checks), c.ReachabilitySpecs()...),
		HostFile:    c.Health.HostChecksFile,
		MaxDeadline: c.Health.MaxDeadline,
		Env:         health.Env{Systemd: sd.Conn(), Reachability: reachability(src)},
	}
	if c.Health.DeadMan.Enabled {
		act.DeadMan = &activate.DeadMan{Conn: sd.Conn(), Window: c.DeadManWindow(), Timeout: c.Activate.TestTimeout}
	}
	if len(c.Hooks.Pre)+len(c.Hooks.Post) > 0 {
		act.Hooks = &activate.Hooks{Host: c.Hostname, Pre: hooksOf(c.Hooks.Pre), Post: hooksOf(c.Hooks.Post)}
	}
}

// reachability polls src on a fresh connection: idle connections kept
// from before the switch would skip name resolution and the firewall's
// verdict on a new connection, which are what a switch may have broken.
func reachability(src source.Source) func(context.Context) error {
	return func(ctx context.Context) error {
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			t.CloseIdleConnections()
		}
		_, err := src.Poll(ctx)
		return err
	}
}

func hooksOf(hs []config.Hook) []activate.Hook {
	out := make([]activate.Hook, len(hs))
	for i, h := range hs {
		out[i] = activate.Hook{Name: h.Name, Argv: h.Command, Timeout: h.Timeout}
	}
	return out
}
