package activate

// This file is the test phase; a file named phase_test.go would be a Go
// test file.

import (
	"context"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// test arms the dead-man switch and runs the new system's
// switch-to-configuration test. An attempt that changes only files has no
// system to switch to: its files are in place already, and it goes on to
// the same verify phase.
func (t *attempt) test(ctx context.Context) Phase {
	if next, ok := t.inhibited(); ok {
		return next
	}
	a, p := t.a, t.p
	if err := a.armDeadMan(ctx, p, t.log); err != nil {
		return t.stop(Failed, PhasePreflight, a.restoreFiles(p.ID, t.log, err))
	}
	o := nixos.Outcome{Exists: true, Done: true, Result: "success"}
	if t.systemChanged() {
		logf(t.log, "activating %s (switch-to-configuration test, unit %s)", p.Toplevel, p.Unit)
		start := time.Now()
		var err error
		o, err = a.switchTo(ctx, p.Toplevel, "test", p.Unit, p.LogPath, a.Policy.TestTimeout, t.log)
		t.r.timed(PhaseTest, start)
		if next, stop := t.tested(ctx, err); stop {
			return next
		}
	}
	// The test unit is released by now: keep its outcome, so that an agent
	// stopped during the settle time or the checks judges it again on
	// restart instead of reverting a switch that may have been fine.
	t.p.Outcome = &o
	return PhaseVerify
}

// tested handles a test switch that did not run to an outcome: stopped
// with the agent (the unit goes on, Resume waits for it), refused by the
// lock (nothing changed: the files are put back and the attempt is tried
// again later) or not started at all (reverted).
func (t *attempt) tested(ctx context.Context, err error) (Phase, bool) {
	switch {
	case interrupted(ctx, err):
		return t.stop(Interrupted, PhaseTest, ctx.Err()), true
	case err == nil:
		return done, false
	case isLockRefused(err):
		_ = t.a.disarmDeadMan(ctx, t.p, t.log)
		return t.stop(Failed, PhaseTest, t.a.restoreFiles(t.p.ID, t.log, err)), true
	}
	return t.fail(PhaseTest, fault.Transientf("run the test unit: %w", err)), true
}
