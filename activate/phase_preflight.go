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

// preflight waits for anyone else's switch to finish, records the units
// and checks that had already failed, and under the strict policy refuses
// to go on while any did. The machine is still unchanged.
func (t *attempt) preflight(ctx context.Context) Phase {
	start := time.Now()
	baseline, err := t.a.baseline(ctx, t.log)
	t.r.timed(PhasePreflight, start)
	if err != nil {
		t.r.FailedUnits = baseline
		return t.stop(Failed, PhasePreflight, err)
	}
	if err := t.a.preflightChecks(ctx, t.req, &t.r); err != nil {
		return t.stop(Failed, PhasePreflight, err)
	}
	t.p.Baseline, t.p.Started = baseline, time.Now()
	return PhaseFiles
}

// baseline waits for anyone else's switch to finish and returns the units
// that had already failed.
func (a *Activator) baseline(ctx context.Context, log io.Writer) ([]string, error) {
	if err := a.waitLock(ctx, log, time.Now().Add(a.Policy.LockWait)); err != nil {
		return nil, err
	}
	failed, err := a.Units.FailedUnits(ctx)
	if err != nil {
		return nil, fault.Transientf("list failed units: %w", err)
	}
	failed = health.NewFailures(nil, failed, ownUnit)
	if len(failed) > 0 {
		logf(log, "units failed before the switch: %s", strings.Join(failed, ", "))
		if a.Policy.Strict {
			return failed, fault.Transientf("preflight (strict): units already failed: %s", strings.Join(failed, ", "))
		}
	}
	return failed, nil
}

// waitLock waits until no other switch-to-configuration holds its lock,
// or until deadline.
func (a *Activator) waitLock(ctx context.Context, log io.Writer, deadline time.Time) error {
	for said := false; ; said = true {
		held, err := nixos.SwitchLockHeld(a.LockPath)
		if err != nil {
			return fault.Transientf("check %s: %w", a.LockPath, err)
		}
		if !held {
			return nil
		}
		if !said {
			logf(log, "another switch-to-configuration holds %s; waiting", a.LockPath)
		}
		if time.Now().After(deadline) {
			return fault.Transientf("another switch-to-configuration still holds %s after %s", a.LockPath, a.Policy.LockWait)
		}
		if err := sleep(ctx, a.Policy.Poll); err != nil {
			return fault.AsTransient(err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (err == nil || errors.Is(err, ctx.Err()))
}

func unitName(kind, id string) string { return fmt.Sprintf("berth-%s-%s.service", kind, id) }
