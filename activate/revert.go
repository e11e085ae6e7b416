package activate

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// revert undoes a tried change as one: the files the attempt installed
// are put back and, when the attempt switched to another system, the
// recorded previous system is re-activated with its own
// switch-to-configuration test. The profile and boot entry are untouched.
func (t *attempt) revert(ctx context.Context) Phase {
	a, p, failed := t.a, t.p, t.failed
	logf(t.log, "attempt failed in %s: %v", failed, t.cause)
	cause := a.restoreFiles(p.ID, t.log, t.cause)
	if p.Previous == "" {
		return t.stop(Failed, failed, fmt.Errorf("%w; no previous system recorded to return to", cause))
	}
	_ = a.disarmDeadMan(ctx, p, t.log) // a fired one is waited for: its switch holds the lock
	if !t.systemChanged() || failed == PhaseFiles {
		logf(t.log, "the running system was not changed; the previous files are back")
		return t.stop(Reverted, failed, t.cause)
	}
	if p.AfterBoot {
		// The failed system came with a reboot: it is the boot default.
		a.restoreProfile(ctx, p.Previous, p, t.log)
		if why := t.revertInhibited(); why != "" {
			return t.stop(Reverted, failed, t.cause)
		}
	}
	logf(t.log, "reverting to %s", p.Previous)
	start := time.Now()
	o, err := a.switchTo(ctx, p.Previous, "test", p.Unit, p.LogPath, a.Policy.TestTimeout, t.log)
	t.r.timed(PhaseRevert, start)
	if interrupted(ctx, err) {
		return t.stop(Interrupted, PhaseRevert, ctx.Err())
	}
	if err == nil && o.ExitCode != 0 && o.ExitCode != 4 {
		err = fmt.Errorf("exited with status %d (%s)", o.ExitCode, o.Result)
	}
	if err != nil {
		return t.stop(Failed, failed, fmt.Errorf("%w; REVERT FAILED, the running system may be mixed: %v", cause, err))
	}
	return t.stop(Reverted, failed, t.cause)
}

// ErrUnknownOutcome is the cause recorded when the agent restarted and
// the test unit's outcome could no longer be read (e.g. after a reboot).
var ErrUnknownOutcome = errors.New("the agent was interrupted during activation and the outcome is unknown")
