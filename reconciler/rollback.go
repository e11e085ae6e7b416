package reconciler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/berth-nix/berth/internal/fault"
)

// ResultRolledBack is the result of berth rollback.
const ResultRolledBack = "rolled-back"

// RollbackRequest is what berth rollback asks of the reconciler.
type RollbackRequest struct {
	System     string
	Generation int
	By         string
	// Switch activates System and makes it the boot default
	// (activate.Activator.Rollback).
	Switch func(ctx context.Context, id, system, logPath string, log io.Writer) error
}

// Rollback switches to an earlier system under the reconcile lock and
// records it in state, history and the report. Callers pause the agent
// afterwards (RollbackPause).
func (r *Reconciler) Rollback(ctx context.Context, req RollbackRequest) Report {
	unlock, err := lockFile(ctx, r.LockPath)
	if err != nil {
		return Report{Result: ResultFailed, Err: fault.Transientf("another reconcile is running: %w", err)}
	}
	defer unlock()
	st, err := r.Store.Load()
	if err != nil {
		return Report{Result: ResultFailed, Err: err}
	}
	if st.InProgress != nil {
		return Report{Result: ResultFailed, Err: errors.New("an attempt is in progress; wait for it to finish (berth status)")}
	}
	w := &run{st: st, rev: st.LastSeen}
	w.att = &Attempt{ID: newID(r.now(), r.nextSeq()), Host: r.Host, Trigger: "rollback", Revision: st.LastSeen,
		Toplevel: req.System, Started: r.now()}
	w.att.LogPath = r.History.LogPath(w.att.ID)
	w.att.Previous, _ = r.running()
	err = r.rollback(ctx, w.att, req)
	rep := Report{Result: ResultRolledBack, Revision: w.rev, Attempt: w.att, Err: err}
	w.att.Result, w.att.Finished = ResultRolledBack, r.now()
	if err != nil {
		rep.Result, w.att.Result, w.att.Error = ResultFailed, ResultFailed, err.Error()
	} else {
		w.st.RolledBack = &RolledBack{System: req.System, Generation: req.Generation, From: w.att.Previous, At: r.now(), By: req.By}
		w.st.Drift = nil
	}
	if herr := r.History.Add(*w.att); herr != nil {
		r.log().Error("cannot record history", "err", herr)
	}
	w.st.Last = r.summary(w, rep)
	if serr := r.Store.Save(w.st); serr != nil {
		rep.Err = errors.Join(rep.Err, serr)
	}
	r.report(w, rep)
	return rep
}

func (r *Reconciler) rollback(ctx context.Context, att *Attempt, req RollbackRequest) error {
	if err := os.MkdirAll(r.History.Dir, 0o700); err != nil {
		return fmt.Errorf("create history directory: %w", err)
	}
	log, err := os.OpenFile(att.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open the log: %w", err)
	}
	defer log.Close()
	fmt.Fprintf(log, "berth: rollback of %s to %s (generation %d), asked by %s\n", r.Host, req.System, req.Generation, req.By)
	return req.Switch(ctx, att.ID, req.System, att.LogPath, log)
}

func (r *Reconciler) nextSeq() int {
	r.seq++
	return r.seq
}

func (r *Reconciler) running() (string, error) {
	if r.Running == nil {
		return "", errors.New("the running system is unknown")
	}
	return r.Running()
}

// branchPollTimeout bounds the poll a held reconcile makes to see whether
// the branch moved.
const branchPollTimeout = 2 * time.Minute

// RollbackPause is the pause berth rollback leaves: until berth resume, or
// until the source answers a revision other than rev.
func RollbackPause(now time.Time, rev string) Pause {
	return Pause{Since: now, By: "berth rollback", Revision: rev}
}

// Holding returns the pause that holds a reconcile asked for now, or nil.
// Unlike Paused it may poll the source: the pause berth rollback leaves
// ends once the branch moved.
func (a *Agent) Holding() *Pause {
	p := a.Paused()
	if p == nil || a.branchMoved(p) {
		return nil
	}
	return p
}

// branchMoved reports, for a pause that lasts until the branch changes,
// whether the source now answers another revision; it then clears the
// pause.
func (a *Agent) branchMoved(p *Pause) bool {
	if p.Revision == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), branchPollTimeout)
	defer cancel()
	rev, err := a.Rec.Source.Poll(ctx)
	if err != nil || rev == p.Revision {
		return false
	}
	a.Rec.log().Info("the branch moved; ending the rollback's pause", "was", p.Revision, "now", rev)
	if err := a.Pauses.Clear(); err != nil {
		a.Rec.log().Error("cannot clear the pause", "err", err)
		return false
	}
	return true
}
