package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"slices"
	"strconv"

	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/nixos"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/notify"
)

// withRetention prunes old system generations, berth's candidate root and,
// below the free-space threshold, garbage after every reconcile.
func withRetention(c *config.Config, rec *reconciler.Reconciler, sd *nixos.Systemd, log *slog.Logger) {
	ret := &nixos.Retention{
		Nix: &nixos.Nix{Command: c.Nix.Command, Quiet: c.Nix.Quiet.Scope()}, Profile: c.Nix.Profile, GCRoots: c.Nix.GCRootDir, Root: "/",
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

// postponeAction postpones the update when a member of the control group
// presses "Postpone" on a notification, as berth postpone would.
func postponeAction(c *config.Config, a *reconciler.Agent, log *slog.Logger) func(uid uint32, key string) {
	return func(uid uint32, key string) {
		if key != notify.ActionPostpone {
			return
		}
		u, err := user.LookupId(strconv.Itoa(int(uid)))
		if err != nil || !inGroup(u, c.Control.Group) {
			log.Warn("postpone from a notification refused: not in the control group", "uid", uid, "group", c.Control.Group)
			return
		}
		by := fmt.Sprintf("%s (uid %d, notification)", u.Username, uid)
		if _, err := a.Postpone(0, by); err != nil {
			log.Warn("postpone from a notification refused", "by", by, "err", err)
		}
	}
}

func inGroup(u *user.User, group string) bool {
	g, err := user.LookupGroup(group)
	if group == "" || err != nil {
		return false
	}
	ids, _ := u.GroupIds()
	return u.Gid == g.Gid || slices.Contains(ids, g.Gid)
}
