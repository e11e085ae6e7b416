package activate

import (
	"context"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// build builds (or fetches) the system, keeps it alive with a GC root and
// records the system it would replace. When that is the same system and
// the files tree changes nothing either, the attempt ends Unchanged here:
// no hooks, no preflight.
func (t *attempt) build(ctx context.Context) Phase {
	a, req := t.a, t.req
	start := time.Now()
	logf(t.log, "building %s", req.Attr)
	top, err := a.Nix.BuildFlake(ctx, req.FlakeDir, req.Attr, t.log)
	t.r.timed(PhaseBuild, start)
	if err != nil {
		return t.stop(Failed, PhaseBuild, err)
	}
	t.r.Toplevel, t.p.Toplevel = top, top
	if err := nixos.CheckSystem(top); err != nil {
		return t.stop(Failed, PhaseBuild, err)
	}
	if err := nixos.AddGCRoot(a.GCRoots, nixos.RootCandidate, top); err != nil {
		return t.stop(Failed, PhaseBuild, fault.Transientf("keep %s alive: %w", top, err))
	}
	prev, err := nixos.CurrentSystem(a.Root)
	if err != nil {
		return t.stop(Failed, PhasePreflight, fault.Transientf("read the running system: %w", err))
	}
	t.r.Previous, t.p.Previous = prev, prev
	if prev != top {
		t.r.Diff = a.diff(ctx, prev, top, t.log)
		return PhasePreHooks
	}
	logf(t.log, "%s is already running", top)
	return t.unchangedSystem()
}

// unchangedSystem decides an attempt whose system already runs: a files
// tree that changes something is tried and verified like any change; one
// that changes nothing ends the attempt Unchanged.
func (t *attempt) unchangedSystem() Phase {
	start := time.Now()
	changes, err := t.planFiles()
	t.r.timed(PhaseFiles, start)
	if err != nil {
		return t.stop(Failed, PhaseFiles, err)
	}
	if changes > 0 {
		logf(t.log, "only the files tree changes; it is verified like a new system")
		return PhasePreHooks
	}
	if err := t.installFiles(); err == nil {
		err = t.a.commitFiles(t.p.ID, t.log)
	}
	if err != nil {
		return t.stop(Failed, PhaseFiles, err)
	}
	t.r.Outcome, t.r.Phase = Unchanged, PhaseBuild
	return done
}

// preHooks runs the admin's pre hooks.
func (t *attempt) preHooks(ctx context.Context) Phase {
	if err := t.a.runPreHooks(ctx, t.log, &t.r); err != nil {
		return t.stop(Failed, PhasePreHooks, err)
	}
	return PhasePreflight
}
