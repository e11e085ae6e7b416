package activate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berth-nix/berth/health"
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// test journals the attempt, then runs the new system's
// switch-to-configuration test and judges it.
func (a *Activator) test(ctx context.Context, p Progress, j Journal, log io.Writer, r Result) Result {
	p.Phase, p.Unit = PhaseTest, unitName("test", p.ID)
	if err := j.Record(p); err != nil {
		return r.fail(Failed, PhasePreflight, a.restoreFiles(p.ID, log, fault.Transientf("journal the attempt: %w", err)))
	}
	if err := a.armDeadMan(ctx, p, log); err != nil {
		return r.fail(Failed, PhasePreflight, a.restoreFiles(p.ID, log, err))
	}
	logf(log, "activating %s (switch-to-configuration test, unit %s)", p.Toplevel, p.Unit)
	start := time.Now()
	o, err := a.Systemd.Switch(ctx, p.Toplevel, "test", p.Unit, p.LogPath, a.Policy.TestTimeout)
	r.timed(PhaseTest, start)
	return a.judge(ctx, p, j, log, r, o, err)
}

// judge decides from the test unit's outcome and the failed units whether
// to promote or revert.
func (a *Activator) judge(ctx context.Context, p Progress, j Journal, log io.Writer, r Result, o nixos.Outcome, err error) Result {
	if interrupted(ctx, err) {
		return r.fail(Interrupted, PhaseTest, ctx.Err())
	}
	if err != nil {
		return a.revert(ctx, p, j, log, r, PhaseTest, fault.Transientf("run the test unit: %w", err))
	}
	// The test unit is released by now: keep its outcome, so that an agent
	// stopped during the settle time or the checks judges it again on
	// restart instead of reverting a switch that may have been fine.
	p.Phase, p.Unit, p.Outcome = PhaseVerify, "", &o
	if err := j.Record(p); err != nil {
		logf(log, "warning: journal the verify phase: %v", err)
	}
	start := time.Now()
	if err := sleep(ctx, a.Policy.Settle); err != nil {
		return r.fail(Interrupted, PhaseVerify, err)
	}
	now, lerr := a.Units.FailedUnits(ctx)
	r.timed(PhaseVerify, start)
	if lerr != nil {
		return a.revert(ctx, p, j, log, r, PhaseVerify, fault.Transientf("list failed units: %w", lerr))
	}
	r.FailedUnits = health.NewFailures(p.Baseline, now, ownUnit)
	cause := verdict(o, r.FailedUnits)
	if cause == nil {
		cause = a.verify(ctx, p, log, &r)
	}
	if interrupted(ctx, cause) {
		return r.fail(Interrupted, PhaseVerify, ctx.Err())
	}
	if cause != nil {
		return a.revert(ctx, p, j, log, r, PhaseVerify, cause)
	}
	return a.promote(ctx, p, j, log, r)
}

// verdict fails the switch when new units failed or the switch itself did
// not succeed. Exit status 4 from switch-to-configuration means "some unit
// failed after the switch" and counts units that had already failed before
// it, so it is judged by the failed-unit list alone: units in the baseline
// do not fail the attempt.
func verdict(o nixos.Outcome, newFailures []string) error {
	if len(newFailures) > 0 {
		return fault.Stallingf("units failed after the switch: %s", strings.Join(newFailures, ", "))
	}
	switch {
	case o.Result == "timeout":
		return fault.Stallingf("switch-to-configuration test timed out and was killed")
	case o.ExitCode == 0 && (o.Result == "success" || o.Result == ""):
		return nil
	case o.ExitCode == 4:
		return nil
	case o.Signal != 0:
		return fault.Stallingf("switch-to-configuration test was killed by signal %d", o.Signal)
	case o.ExitCode != 0:
		return fault.Stallingf("switch-to-configuration test exited with status %d", o.ExitCode)
	}
	return fault.Stallingf("switch-to-configuration test ended with result %q", o.Result)
}

// promote makes the tested system the boot default: set the profile, then
// install the boot entry. If that fails the profile is put back and the
// running system reverted, so a half-promoted system never stays.
func (a *Activator) promote(ctx context.Context, p Progress, j Journal, log io.Writer, r Result) Result {
	prevProfile, _ := nixos.ProfileSystem(a.Profile)
	p.Phase, p.Unit, p.Cause = PhasePromote, unitName("boot", p.ID), prevProfile
	if err := j.Record(p); err != nil {
		return a.revert(ctx, p, j, log, r, PhasePromote, fault.Transientf("journal the promotion: %w", err))
	}
	start := time.Now()
	defer r.timed(PhasePromote, start)
	logf(log, "promoting %s to the boot default", p.Toplevel)
	if err := a.setBoot(ctx, p.Toplevel, p.Unit, p.LogPath, log); err != nil {
		if interrupted(ctx, err) {
			return r.fail(Interrupted, PhasePromote, ctx.Err())
		}
		a.restoreProfile(ctx, prevProfile, p, log)
		return a.revert(ctx, p, j, log, r, PhasePromote, err)
	}
	a.commitFiles(p.ID, log)
	if err := nixos.AddGCRoot(a.GCRoots, "last-good", p.Toplevel); err != nil {
		logf(log, "warning: keep last good system alive: %v", err)
	}
	r.RebootNeeded, r.RebootWhy = a.rebootNeeded(p.Toplevel)
	r.Outcome, r.Phase = Applied, PhasePromote
	return r
}

func (a *Activator) setBoot(ctx context.Context, top, unit, logPath string, log io.Writer) error {
	if err := a.Nix.SetProfile(ctx, a.Profile, top, log); err != nil {
		return fault.Transientf("set %s: %w", a.Profile, err)
	}
	o, err := a.Systemd.Switch(ctx, top, "boot", unit, logPath, a.Policy.BootTimeout)
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

// revert re-activates the recorded previous system with its own
// switch-to-configuration test. The profile and boot entry are untouched.
func (a *Activator) revert(ctx context.Context, p Progress, j Journal, log io.Writer, r Result, failed Phase, cause error) Result {
	r.Phase, r.Err = failed, cause
	logf(log, "attempt failed in %s: %v", failed, cause)
	cause = a.restoreFiles(p.ID, log, cause)
	if p.Previous == "" {
		return r.fail(Failed, failed, fmt.Errorf("%w; no previous system recorded to return to", cause))
	}
	_ = a.disarmDeadMan(ctx, p, log) // a fired one is waited for: its switch holds the lock
	p.Phase, p.Unit, p.Cause = PhaseRevert, unitName("revert", p.ID), cause.Error()
	if err := j.Record(p); err != nil {
		logf(log, "warning: journal the revert: %v", err)
	}
	logf(log, "reverting to %s", p.Previous)
	start := time.Now()
	o, err := a.Systemd.Switch(ctx, p.Previous, "test", p.Unit, p.LogPath, a.Policy.TestTimeout)
	r.timed(PhaseRevert, start)
	if interrupted(ctx, err) {
		return r.fail(Interrupted, PhaseRevert, ctx.Err())
	}
	if err == nil && o.ExitCode != 0 && o.ExitCode != 4 {
		err = fmt.Errorf("exited with status %d (%s)", o.ExitCode, o.Result)
	}
	if err != nil {
		return r.fail(Failed, failed, fmt.Errorf("%w; REVERT FAILED, the running system may be mixed: %v", cause, err))
	}
	r.Outcome = Reverted
	return r
}

// ErrUnknownOutcome is the cause recorded when the agent restarted and
// the test unit's outcome could no longer be read (e.g. after a reboot).
var ErrUnknownOutcome = errors.New("the agent was interrupted during activation and the outcome is unknown")
