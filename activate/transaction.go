package activate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berth-nix/berth/activate/files"
	"github.com/berth-nix/berth/health"
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// Policy holds the knobs of a transaction.
type Policy struct {
	// Strict refuses to deploy while any unit has failed; otherwise units
	// that failed before the switch are left out of the verdict.
	Strict      bool
	TestTimeout time.Duration
	BootTimeout time.Duration
	// Settle is the pause between the switch and the verdict, for units
	// that fail a moment after they start.
	Settle time.Duration
	// LockWait is how long to wait for another switch-to-configuration.
	LockWait time.Duration
	// Poll is how often to look at a running unit or a held lock.
	Poll time.Duration
}

// Activator applies configurations to the machine it runs on.
type Activator struct {
	Nix     Builder
	Systemd Switcher
	Units   UnitLister
	Policy  Policy
	// Profile is the system profile, /nix/var/nix/profiles/system.
	Profile string
	// GCRoots is the directory of GC roots for the candidate and the last
	// good system.
	GCRoots string
	// Root is "/" on a real host; tests may point it elsewhere.
	Root string
	// Files installs the host's verbatim files tree; nil installs none.
	Files *files.Installer
	// Health, Hooks and DeadMan are optional; nil disables each.
	Health  *Health
	Hooks   *Hooks
	DeadMan *DeadMan
	// LockPath is switch-to-configuration's lock file.
	LockPath string
}

// ownUnit tells berth's own transient units apart in verdicts: the unit of
// a switch that exited 4 is itself failed until released.
func ownUnit(name string) bool { return strings.HasPrefix(name, "berth-") }

// apply runs one attempt. Before the test phase the machine is unchanged;
// from then on every phase is journaled first.
func (a *Activator) apply(ctx context.Context, req Request, j Journal) Result {
	r := Result{Revision: req.Revision, Digest: req.Digest}
	start := time.Now()
	logf(req.Log, "building %s", req.Attr)
	top, err := a.Nix.BuildFlake(ctx, req.FlakeDir, req.Attr, req.Log)
	r.timed(PhaseBuild, start)
	if err != nil {
		return r.fail(Failed, PhaseBuild, err)
	}
	r.Toplevel = top
	if err := nixos.CheckSystem(top); err != nil {
		return r.fail(Failed, PhaseBuild, err)
	}
	if err := nixos.AddGCRoot(a.GCRoots, "candidate", top); err != nil {
		return r.fail(Failed, PhaseBuild, fault.Transientf("keep %s alive: %w", top, err))
	}
	prev, err := nixos.CurrentSystem(a.Root)
	if err != nil {
		return r.fail(Failed, PhasePreflight, fault.Transientf("read the running system: %w", err))
	}
	r.Previous = prev
	if prev == top {
		logf(req.Log, "%s is already running", top)
		r.Outcome, r.Phase = Unchanged, PhaseBuild
		return a.filesOnly(req, r)
	}
	if err := a.runPreHooks(ctx, req.Log, &r); err != nil {
		return r.fail(Failed, PhasePreHooks, err)
	}
	start = time.Now()
	baseline, err := a.preflight(ctx, req.Log)
	r.timed(PhasePreflight, start)
	if err != nil {
		r.FailedUnits = baseline
		return r.fail(Failed, PhasePreflight, err)
	}
	if err := a.preflightChecks(ctx, req, &r); err != nil {
		return r.fail(Failed, PhasePreflight, err)
	}
	p := Progress{ID: req.ID, Revision: req.Revision, Digest: req.Digest, Toplevel: top, Previous: prev, Baseline: baseline, LogPath: req.LogPath, Started: time.Now()}
	if _, err := a.installFiles(req, &r); err != nil {
		return r.fail(Failed, PhaseFiles, err)
	}
	return a.test(ctx, p, j, req.Log, r)
}

// preflight waits for anyone else's switch to finish and records the units
// that had already failed.
func (a *Activator) preflight(ctx context.Context, log io.Writer) ([]string, error) {
	if err := a.waitLock(ctx, log); err != nil {
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

func (a *Activator) waitLock(ctx context.Context, log io.Writer) error {
	deadline := time.Now().Add(a.Policy.LockWait)
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
