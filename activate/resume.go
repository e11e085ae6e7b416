package activate

import (
	"context"
	"errors"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// resume picks up an attempt at its journaled phase and returns the phase
// the loop goes on with. A test unit still running is waited for and
// judged; a finished one is judged; one whose outcome is lost is reverted,
// since the change was never verified. An interrupted files install is
// reverted. An interrupted promotion or revert is run again: both are
// idempotent.
func (t *attempt) resume(ctx context.Context) Phase {
	p := t.p
	switch p.Phase {
	case PhaseFiles:
		return t.fail(PhaseFiles, fault.AsTransient(ErrUnknownOutcome))
	case PhaseTest:
		return t.resumeTest(ctx)
	case PhasePromote:
		t.a.release(ctx, p.Unit)
	case PhaseRevert:
		t.a.release(ctx, p.Unit)
		cause := errors.New(p.Cause)
		if p.Cause == "" {
			cause = ErrUnknownOutcome
		}
		return t.fail(PhaseRevert, fault.AsStalling(cause))
	}
	return p.Phase
}

// resumeTest waits for the test unit of the attempt and goes on to
// verify it. An attempt that changes only files has no unit to wait for.
func (t *attempt) resumeTest(ctx context.Context) Phase {
	p := t.p
	if !t.systemChanged() {
		t.p.Outcome = &nixos.Outcome{Exists: true, Done: true, Result: "success"}
		return PhaseVerify
	}
	o, err := t.a.Systemd.UnitOutcome(ctx, p.Unit)
	if err != nil {
		return t.stop(Interrupted, PhaseTest, fault.Transientf("read unit %s: %w", p.Unit, err))
	}
	if !o.Exists {
		return t.fail(PhaseTest, t.a.lostOutcome(ctx, p))
	}
	if !o.Done {
		logf(t.log, "test unit %s is still running; waiting", p.Unit)
		o, err = t.a.Systemd.Wait(ctx, p.Unit, t.a.Policy.Poll)
	}
	t.a.release(ctx, p.Unit)
	if next, stop := t.tested(ctx, err); stop {
		return next
	}
	t.p.Outcome = &o
	return PhaseVerify
}

func (a *Activator) release(ctx context.Context, unit string) {
	if unit != "" {
		_ = a.Systemd.Release(ctx, unit)
	}
}
