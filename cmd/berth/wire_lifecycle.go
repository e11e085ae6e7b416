package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/berth-nix/berth/internal/config"
	"github.com/berth-nix/berth/nixos"
	"github.com/berth-nix/berth/reconciler"
)

// withRetention prunes old system generations, berth's candidate root and,
// below the free-space threshold, garbage after every reconcile.
func withRetention(c *config.Config, rec *reconciler.Reconciler, sd *nixos.Systemd, log *slog.Logger) {
	ret := &nixos.Retention{
		Nix: &nixos.Nix{Command: c.Nix.Command, Quiet: quietOf(c.Nix.Quiet)}, Profile: c.Nix.Profile, GCRoots: c.Nix.GCRootDir, Root: "/",
		Keep: c.Retention.Generations, MinFree: uint64(c.Retention.GCMinFree), Store: "/nix",
		RefreshBoot: func(ctx context.Context, top string) error {
			o, err := sd.Switch(ctx, top, "boot", "berth-boot-retention.service", "", c.Activate.BootTimeout)
			if err == nil && (o.ExitCode != 0 || (o.Result != "success" && o.Result != "")) {
				err = fmt.Errorf("switch-to-configuration boot failed (status %d, %s)", o.ExitCode, o.Result)
			}
			return err
		},
	}
	rec.Retain = func(ctx context.Context, busy bool) error {
		p, err := ret.Prune(ctx, busy, io.Discard)
		if len(p.Generations) > 0 {
			log.Info("removed old system generations", "profile", c.Nix.Profile, "generations", p.Generations)
		}
		if p.Collected {
			log.Info("collected garbage", "free_bytes", p.Free)
		}
		return err
	}
}

// withDrift compares the running system with the applied one before every
// poll.
func withDrift(c *config.Config, rec *reconciler.Reconciler) {
	rec.Running = func() (string, error) { return nixos.CurrentSystem("/") }
	rec.Booted = func() (string, error) { return nixos.BootedSystem("/") }
	rec.DriftPolicy = c.Drift.Policy
}

// quietOf is the low priority nix runs at, nil when turned off.
func quietOf(q config.Quiet) *nixos.Quiet {
	if !q.Enabled {
		return nil
	}
	return &nixos.Quiet{CPUWeight: q.CPUWeight, IOWeight: q.IOWeight, Nice: q.Nice, MemoryMax: q.MemoryMax}
}
