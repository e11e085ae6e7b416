package activate

import (
	"context"
	"strings"
	"time"

	"github.com/berth-nix/berth/health"
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// verify judges the tried change from the test unit's outcome, the units
// that failed since preflight, the verify checks and the dead-man switch,
// and goes on to promote or revert. Every attempt that changes anything,
// a files tree alone included, passes here.
func (t *attempt) verify(ctx context.Context) Phase {
	if t.p.Outcome == nil {
		return t.fail(PhaseVerify, fault.AsTransient(ErrUnknownOutcome))
	}
	start := time.Now()
	if err := sleep(ctx, t.a.Policy.Settle); err != nil {
		return t.stop(Interrupted, PhaseVerify, err)
	}
	now, lerr := t.a.Units.FailedUnits(ctx)
	t.r.timed(PhaseVerify, start)
	if lerr != nil {
		return t.fail(PhaseVerify, fault.Transientf("list failed units: %w", lerr))
	}
	t.r.FailedUnits = health.NewFailures(t.p.Baseline, now, ownUnit)
	cause := verdict(*t.p.Outcome, t.r.FailedUnits)
	if cause == nil {
		cause = t.a.verify(ctx, t.p, t.log, &t.r)
	}
	if interrupted(ctx, cause) {
		return t.stop(Interrupted, PhaseVerify, ctx.Err())
	}
	if cause != nil {
		return t.fail(PhaseVerify, cause)
	}
	prevProfile, _ := nixos.ProfileSystem(t.a.Profile)
	t.p.Cause = prevProfile
	return PhasePromote
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
