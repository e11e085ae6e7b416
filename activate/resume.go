package activate

import (
	"context"
	"errors"
	"io"

	"github.com/berth-nix/berth/internal/fault"
)

// resume finishes an attempt that a previous agent process journaled but
// did not complete. A test unit still running is waited for and judged; a
// finished one is judged; one whose outcome is lost is reverted, since
// the new system was never verified. An interrupted promotion or revert is
// run again: both are idempotent.
func (a *Activator) resume(ctx context.Context, p Progress, j Journal, log io.Writer) Result {
	r := Result{Revision: p.Revision, Digest: p.Digest, Toplevel: p.Toplevel, Previous: p.Previous}
	logf(log, "resuming attempt %s in phase %s", p.ID, p.Phase)
	switch p.Phase {
	case PhaseTest:
		return a.resumeTest(ctx, p, j, log, r)
	case PhaseVerify:
		if p.Outcome == nil {
			return a.revert(ctx, p, j, log, r, PhaseVerify, fault.AsTransient(ErrUnknownOutcome))
		}
		return a.judge(ctx, p, j, log, r, *p.Outcome, nil)
	case PhasePromote:
		a.release(ctx, p.Unit)
		return a.promote(ctx, p, j, log, r)
	case PhaseRevert:
		a.release(ctx, p.Unit)
		cause := errors.New(p.Cause)
		if p.Cause == "" {
			cause = ErrUnknownOutcome
		}
		return a.revert(ctx, p, j, log, r, PhaseRevert, fault.AsStalling(cause))
	}
	return r.fail(Failed, p.Phase, fault.Stallingf("journal names unknown phase %q", p.Phase))
}

func (a *Activator) resumeTest(ctx context.Context, p Progress, j Journal, log io.Writer, r Result) Result {
	o, err := a.Systemd.UnitOutcome(ctx, p.Unit)
	if err != nil {
		return r.fail(Interrupted, PhaseTest, fault.Transientf("read unit %s: %w", p.Unit, err))
	}
	if !o.Exists {
		return a.revert(ctx, p, j, log, r, PhaseTest, a.lostOutcome(ctx, p))
	}
	if !o.Done {
		logf(log, "test unit %s is still running; waiting", p.Unit)
		o, err = a.Systemd.Wait(ctx, p.Unit, a.Policy.Poll)
	}
	a.release(ctx, p.Unit)
	return a.judge(ctx, p, j, log, r, o, err)
}

func (a *Activator) release(ctx context.Context, unit string) {
	if unit != "" {
		_ = a.Systemd.Release(ctx, unit)
	}
}
