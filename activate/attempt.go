package activate

import (
	"context"
	"io"

	"github.com/berth-nix/berth/activate/files"
	"github.com/berth-nix/berth/internal/fault"
)

// attempt is the working set of one attempt: what is applied, how far it
// got, and what it did so far. Each phase reads and extends it and names
// the phase that follows.
type attempt struct {
	a   *Activator
	j   Journal
	log io.Writer
	// req is the staged configuration; empty for a resumed attempt.
	req Request
	// p is what the journal keeps of the attempt.
	p Progress
	r Result
	// plan is the files tree's plan, once made.
	plan *files.Plan
	// failed and cause say why a revert was started.
	failed Phase
	cause  error
}

// done ends the loop of phases.
const done Phase = ""

// phase is one step of an attempt. journal says what to do when the
// attempt cannot be journaled before it; nil means the phase changes
// nothing on the machine and is not journaled.
type phase struct {
	run     func(*attempt, context.Context) Phase
	unit    string
	journal func(*attempt, error) Phase
}

// phases are the steps of an attempt, in order: build, pre-hook,
// preflight, files, test, verify, then promote or revert. Before the
// files phase the machine is unchanged; from there on every phase is
// journaled before it starts, so that Resume can finish the attempt.
var phases = map[Phase]phase{
	PhaseBuild:     {run: (*attempt).build},
	PhasePreHooks:  {run: (*attempt).preHooks},
	PhasePreflight: {run: (*attempt).preflight},
	PhaseFiles:     {run: (*attempt).files, journal: (*attempt).refuseUnjournaled},
	PhaseTest:      {run: (*attempt).test, unit: "test", journal: (*attempt).refuseUnjournaled},
	PhaseVerify:    {run: (*attempt).verify, journal: (*attempt).warnUnjournaled},
	PhasePromote:   {run: (*attempt).promote, unit: "boot", journal: (*attempt).revertUnjournaled},
	PhaseRevert:    {run: (*attempt).revert, unit: "revert", journal: (*attempt).warnUnjournaled},
}

// run runs the phases from the first one on until one ends the attempt.
func (t *attempt) run(ctx context.Context, first Phase) Result {
	for ph := first; ph != done; {
		spec, ok := phases[ph]
		if !ok {
			t.stop(Failed, ph, fault.Stallingf("journal names unknown phase %q", ph))
			break
		}
		if spec.journal != nil {
			t.p.Phase, t.p.Unit = ph, ""
			if spec.unit != "" {
				t.p.Unit = unitName(spec.unit, t.p.ID)
			}
			if err := t.j.Record(t.p); err != nil {
				// A handler that names the phase itself lets it run.
				if next := spec.journal(t, err); next != ph {
					ph = next
					continue
				}
			}
		}
		ph = spec.run(t, ctx)
	}
	return t.r
}

// refuseUnjournaled ends an attempt that cannot be journaled before it
// changes anything more: what the files phase installed is put back.
func (t *attempt) refuseUnjournaled(err error) Phase {
	cause := t.a.restoreFiles(t.p.ID, t.log, fault.Transientf("journal the attempt: %w", err))
	return t.stop(Failed, PhasePreflight, cause)
}

func (t *attempt) warnUnjournaled(err error) Phase {
	logf(t.log, "warning: journal the %s phase: %v", t.p.Phase, err)
	return t.p.Phase
}

func (t *attempt) revertUnjournaled(err error) Phase {
	return t.fail(PhasePromote, fault.Transientf("journal the promotion: %w", err))
}

// stop ends the attempt with outcome o in phase p.
func (t *attempt) stop(o Outcome, p Phase, err error) Phase {
	t.r.Outcome, t.r.Phase, t.r.Err = o, p, err
	return done
}

// fail starts the revert of an attempt that failed in phase p.
func (t *attempt) fail(p Phase, cause error) Phase {
	t.failed, t.cause = p, cause
	t.r.Phase, t.r.Err = p, cause
	t.p.Cause = cause.Error()
	return PhaseRevert
}

// systemChanged reports whether the attempt runs another system than the
// one it found; an attempt that changes only files does not.
func (t *attempt) systemChanged() bool { return t.p.Toplevel != t.p.Previous }

// Apply runs one attempt from its build on, then its post hooks.
func (a *Activator) Apply(ctx context.Context, req Request, j Journal) Result {
	t := &attempt{a: a, j: j, log: req.Log, req: req,
		p: Progress{ID: req.ID, Revision: req.Revision, Digest: req.Digest, LogPath: req.LogPath},
		r: Result{Revision: req.Revision, Digest: req.Digest}}
	r := a.exonerate(ctx, t.run(ctx, PhaseBuild), req.Log)
	a.finish(ctx, r, req.LogPath, req.Log)
	return r
}

// Resume finishes an attempt that a previous agent process journaled but
// did not complete, from the journaled phase (see resume), then runs the
// post hooks.
func (a *Activator) Resume(ctx context.Context, p Progress, j Journal, log io.Writer) Result {
	t := &attempt{a: a, j: j, log: log, p: p,
		r: Result{Revision: p.Revision, Digest: p.Digest, Toplevel: p.Toplevel, Previous: p.Previous}}
	logf(log, "resuming attempt %s in phase %s", p.ID, p.Phase)
	r := a.exonerate(ctx, t.run(ctx, t.resume(ctx)), log)
	a.finish(ctx, r, p.LogPath, log)
	return r
}
