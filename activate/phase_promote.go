package activate

import (
	"context"
	"io"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// promote makes the tried change permanent: the new system becomes the
// boot default (profile, then boot entry) and the files are recorded as
// installed. If the boot default cannot be set, the profile is put back
// and the attempt reverted, so a half-promoted system never stays. The
// journal keeps the profile's previous system in Cause.
func (t *attempt) promote(ctx context.Context) Phase {
	a, p := t.a, t.p
	start := time.Now()
	defer t.r.timed(PhasePromote, start)
	if t.systemChanged() && !p.AfterBoot {
		logf(t.log, "promoting %s to the boot default", p.Toplevel)
		if err := a.setBoot(ctx, p.Toplevel, p.Unit, p.LogPath, t.log); err != nil {
			if interrupted(ctx, err) {
				return t.stop(Interrupted, PhasePromote, ctx.Err())
			}
			a.restoreProfile(ctx, p.Cause, p, t.log)
			return t.fail(PhasePromote, err)
		}
	}
	_ = a.commitFiles(p.ID, t.log)
	if err := nixos.AddGCRoot(a.GCRoots, nixos.RootLastGood, p.Toplevel); err != nil {
		logf(t.log, "warning: keep last good system alive: %v", err)
	}
	t.r.RebootNeeded, t.r.RebootWhy = a.rebootNeeded(p.Toplevel)
	if p.BootOnly != "" {
		t.r.BootOnly, t.r.RebootNeeded = p.BootOnly, true
		t.r.RebootWhy = append(t.r.RebootWhy, p.BootOnly)
	}
	t.r.Outcome, t.r.Phase = Applied, PhasePromote
	return done
}

func (a *Activator) setBoot(ctx context.Context, top, unit, logPath string, log io.Writer) error {
	if err := a.Nix.SetProfile(ctx, a.Profile, top, log); err != nil {
		return fault.Transientf("set %s: %w", a.Profile, err)
	}
	o, err := a.switchTo(ctx, top, "boot", unit, logPath, a.Policy.BootTimeout, log)
	if err != nil {
		return fault.Transientf("run switch-to-configuration boot: %w", err)
	}
	if o.ExitCode != 0 || (o.Result != "success" && o.Result != "") {
		return fault.Transientf("switch-to-configuration boot failed (status %d, %s)", o.ExitCode, o.Result)
	}
	return nil
}

func (a *Activator) restoreProfile(ctx context.Context, prevProfile string, p Progress, log io.Writer) {
	if prevProfile == "" || prevProfile == p.Toplevel {
		return
	}
	logf(log, "restoring the boot default to %s", prevProfile)
	if err := a.setBoot(ctx, prevProfile, unitName("boot-restore", p.ID), p.LogPath, log); err != nil {
		logf(log, "ERROR: could not restore the boot default: %v", err)
	}
}

func (a *Activator) rebootNeeded(top string) (bool, []string) {
	booted, err := nixos.BootedSystem(a.Root)
	if err != nil || booted == "" {
		return false, nil
	}
	need, why, err := nixos.RebootNeeded(booted, top)
	if err != nil {
		return false, nil
	}
	return need, why
}
