package reconciler

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/internal/fault"
)

// record turns the end of a reconcile into state, history and a Report.
// It is the only place that decides what a result means for the future:
// settled revisions are not tried again, transient failures count towards
// backoff, and an interrupted attempt keeps its journal.
func (r *Reconciler) record(w *run, err error) Report {
	rep := Report{Revision: w.rev, Err: err, Reason: w.reason}
	class := fault.ClassOf(err)
	switch {
	case w.att != nil:
		rep.Result = r.settleAttempt(w, class)
	case errors.Is(err, errWaiting):
		rep.Result, rep.Err = ResultWaiting, nil
	case class == fault.NoOp:
		rep.Result, rep.Err = w.result, nil
		w.st.Settled, w.st.FetchFailures = w.rev, 0
	case class == fault.Stalling:
		rep.Result = orDefault(w.result, ResultFailed)
		r.reject(w, "fetch", err)
		w.att = r.newAttempt(w)
		w.att.Result, w.att.Phase, w.att.Error, w.att.Class = rep.Result, "fetch", err.Error(), class.String()
	default:
		rep.Result = ResultFailed
		w.st.FetchFailures++
	}
	if w.att != nil {
		w.att.Finished = r.now()
		rep.Attempt = w.att
		if herr := r.History.Add(*w.att); herr != nil {
			r.log().Error("cannot record history", "err", herr)
		}
	}
	if !errors.Is(err, errWaiting) {
		w.st.Gated = nil
	}
	w.st.Last = r.summary(w, rep)
	rep.Failures = w.st.FetchFailures
	serr := r.Store.Save(w.st)
	r.unsaved.keep(w.st, serr)
	if serr != nil {
		r.log().Error("cannot save state; keeping it in memory", "path", r.Store.Path, "err", serr)
		rep.Err = errors.Join(rep.Err, serr)
	}
	r.report(w, rep)
	return rep
}

// settleAttempt records an attempt that reached activate.
func (r *Reconciler) settleAttempt(w *run, class fault.Class) string {
	res := w.res
	fillAttempt(w.att, res)
	if res.Outcome == activate.Interrupted {
		return ResultInterrupted
	}
	w.st.InProgress = nil
	switch res.Outcome {
	case activate.Applied, activate.Unchanged:
		previousApplied := w.st.Applied
		w.st.Applied = r.revisionOf(w.art, res.Toplevel)
		w.st.Rejected, w.st.Settled, w.st.FetchFailures = nil, w.rev, 0
		w.st.Drift, w.st.RolledBack, w.st.PendingBoot = nil, nil, nil // the applied system runs now
		if res.BootOnly != "" {
			w.st.PendingBoot = &PendingBoot{System: res.Toplevel, Previous: res.Previous, Why: res.BootOnly, Since: r.now(), PreviousApplied: previousApplied}
		}
		delete(w.st.Interruptions, w.art.Digest)
		return string(res.Outcome)
	}
	if r.countsAgainst(w, res.Err, class) {
		r.reject(w, string(res.Phase), res.Err)
	} else {
		w.st.FetchFailures++
	}
	return string(res.Outcome)
}

// countsAgainst says whether a failure is the configuration's fault, so it
// should not be retried. A configuration that left the agent dead with the
// outcome unknown twice is treated as bad too.
func (r *Reconciler) countsAgainst(w *run, err error, class fault.Class) bool {
	if errors.Is(err, activate.ErrUnknownOutcome) {
		if w.st.Interruptions == nil {
			w.st.Interruptions = map[string]int{}
		}
		w.st.Interruptions[w.art.Digest]++
		return w.st.Interruptions[w.art.Digest] >= 2
	}
	return class == fault.Stalling
}

func (r *Reconciler) reject(w *run, phase string, err error) {
	rej := &Rejection{Phase: phase, Reason: err.Error()}
	rej.Revision = Revision{Revision: w.art.Revision, Commit: w.art.Commit, Digest: w.art.Digest, At: r.now(), Signer: w.art.Signer}
	if rej.Revision.Revision == "" {
		rej.Revision.Revision = w.rev
	}
	// A verdict on the revision ends a row of transient failures: the
	// source answered, and retrying cannot change the verdict.
	w.st.Rejected, w.st.Settled, w.st.FetchFailures = rej, w.rev, 0
}

func fillAttempt(a *Attempt, res activate.Result) {
	a.Result, a.Phase = string(res.Outcome), string(res.Phase)
	a.Toplevel, a.Previous, a.FailedUnits = res.Toplevel, res.Previous, res.FailedUnits
	a.Reboot, a.RebootWhy, a.Diff, a.BootOnly = res.RebootNeeded, res.RebootWhy, res.Diff, res.BootOnly
	if res.Err != nil {
		a.Error, a.Class = res.Err.Error(), fault.ClassOf(res.Err).String()
	}
	a.Durations = map[string]float64{}
	for p, d := range maps.All(res.Durations) {
		a.Durations[string(p)] = d.Seconds()
	}
}

func (r *Reconciler) summary(w *run, rep Report) *Summary {
	s := &Summary{Revision: w.rev, Result: rep.Result, At: r.now()}
	if w.att != nil {
		s.ID, s.Phase = w.att.ID, w.att.Phase
	}
	if rep.Err != nil {
		s.Error = firstLine(rep.Err.Error())
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// resume finishes the attempt a previous agent left in progress and
// records it like any other.
func (r *Reconciler) resume(ctx context.Context, st *State) Report {
	return r.resumeAs(ctx, st, "resume")
}

// resumeAs finishes the journaled attempt, recording trigger in history.
func (r *Reconciler) resumeAs(ctx context.Context, st *State, trigger string) Report {
	ip := st.InProgress
	w := &run{opts: Options{Trigger: trigger}, st: *st, rev: ip.Revision.Revision}
	w.art.Revision, w.art.Commit, w.art.Digest = ip.Revision.Revision, ip.Commit, ip.Digest
	w.art.Signer = ip.Signer
	w.att = &Attempt{ID: ip.Progress.ID, Host: r.Host, Trigger: trigger, Revision: ip.Revision.Revision,
		Commit: ip.Commit, Digest: ip.Digest, Started: ip.Progress.Started, LogPath: ip.Progress.LogPath}
	log, err := openLog(ip.Progress.LogPath)
	if err != nil {
		r.log().Warn("cannot open the interrupted attempt's log", "err", err)
	}
	if log != nil {
		defer log.Close()
	}
	w.res = r.Applier.Resume(ctx, ip.Progress, &journal{r: r, st: &w.st, rev: &ip.Revision}, logWriter(log))
	rep := r.record(w, w.res.Err)
	*st = w.st
	return rep
}
