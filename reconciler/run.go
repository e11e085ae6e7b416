package reconciler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
)

// run is the working set of one reconcile, passed through its steps.
type run struct {
	opts Options
	st   State
	rev  string
	art  source.Artifact
	att  *Attempt
	res  activate.Result
	// result and reason are set by the step that ends the reconcile early
	// with a verdict; the deferred record fills them in otherwise.
	result, reason string
	// reapply applies the applied configuration again because the
	// running system drifted from it (drift.policy reapply).
	reapply bool
}

// step is one stage of a reconcile. Returning an error stops the reconcile;
// a fault.NoOp error stops it with nothing to do.
type step func(ctx context.Context, w *run) error

// Run performs one reconcile: finish any interrupted attempt, poll, fetch,
// check lineage, compare digests, apply. Whatever happens, state and
// history are recorded before Run returns.
func (r *Reconciler) Run(ctx context.Context, opts Options) (rep Report) {
	unlock, err := lockFile(ctx, r.LockPath)
	if err != nil {
		return Report{Result: ResultFailed, Err: fault.Transientf("another reconcile is running: %w", err)}
	}
	defer unlock()
	st, err := r.load()
	if err != nil {
		return Report{Result: ResultFailed, Err: err}
	}
	if st.InProgress != nil {
		if rep := r.resume(ctx, &st); rep.Result == ResultInterrupted || opts.ResumeOnly {
			return rep
		}
	}
	if rep, ok := r.verifyBoot(ctx, &st); ok {
		return rep
	}
	if opts.ResumeOnly {
		return Report{Result: ResultUnchanged, Reason: "no interrupted attempt"}
	}
	w := &run{opts: opts, st: st}
	defer func() {
		rep = r.record(w, err)
		r.pruneStage(w.st)
		r.retain(ctx, w.st)
	}()
	for _, s := range []step{r.checkDrift, r.poll, r.fetch, r.lineage, r.accepted, r.compare, r.gate, r.apply} {
		if err = s(ctx, w); err != nil {
			return
		}
	}
	return
}

func (r *Reconciler) poll(ctx context.Context, w *run) error {
	rev, err := r.Source.Poll(ctx)
	if err != nil {
		return fmt.Errorf("poll: %w", err)
	}
	w.rev, w.st.LastPoll = rev, r.now()
	w.st.seen(rev, r.now())
	if rev == w.st.Settled && !w.opts.Retry && !w.reapply {
		w.result, w.reason = ResultUnchanged, "no new revision"
		return fault.AsNoOp(errors.New(w.reason))
	}
	return nil
}

func (r *Reconciler) fetch(ctx context.Context, w *run) error {
	art, err := r.Source.Fetch(ctx)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", w.rev, err)
	}
	w.art, w.rev = art, art.Revision
	w.st.seen(art.Revision, r.now())
	return nil
}

// compare skips configurations already applied or already judged bad: a
// commit that only touched other hosts has this host's digest unchanged
// and costs no evaluation.
func (r *Reconciler) compare(ctx context.Context, w *run) error {
	if w.opts.Retry {
		return nil
	}
	if a := w.st.Applied; a != nil && a.Digest == w.art.Digest && !w.reapply {
		w.st.Applied = r.revisionOf(w.art, a.Toplevel)
		w.result, w.reason = ResultUnchanged, "host configuration unchanged (digest "+short(w.art.Digest)+")"
		return fault.AsNoOp(errors.New(w.reason))
	}
	if b := w.st.Rejected; b != nil && b.Digest == w.art.Digest {
		w.result, w.reason = ResultUnchanged, "configuration "+short(w.art.Digest)+" already failed; waiting for a new one (berth run --retry forces)"
		return fault.AsNoOp(errors.New(w.reason))
	}
	return nil
}

func (r *Reconciler) apply(ctx context.Context, w *run) error {
	att, log, err := r.startAttempt(w)
	if err != nil {
		return err
	}
	defer log.Close()
	w.att = att
	fmt.Fprintf(log, "berth: attempt %s of %s for %s (digest %s)\n", w.att.ID, w.art.Revision, r.Host, w.art.Digest)
	req := activate.Request{ID: w.att.ID, Revision: w.art.Revision, Digest: w.art.Digest, FlakeDir: w.art.FlakeDir(), Attr: r.Attr, Log: log, LogPath: w.att.LogPath, FilesDir: w.art.FilesDir()}
	w.res = r.Applier.Apply(ctx, req, &journal{r: r, st: &w.st, rev: r.revisionOf(w.art, "")})
	return w.res.Err
}

// startAttempt names the attempt and creates its log. An id another
// process took first is skipped for a fresh one.
func (r *Reconciler) startAttempt(w *run) (*Attempt, *os.File, error) {
	for tries := 0; ; tries++ {
		att := r.newAttempt(w)
		log, err := r.History.CreateLog(att.ID)
		if err == nil {
			return att, log, nil
		}
		if !errors.Is(err, fs.ErrExist) || tries == 3 {
			return nil, nil, fault.Transientf("create the attempt log: %w", err)
		}
	}
}

func (r *Reconciler) newAttempt(w *run) *Attempt {
	id := newID(r.now(), r.nextSeq())
	return &Attempt{ID: id, Host: r.Host, Trigger: w.opts.Trigger, Revision: w.art.Revision, Commit: w.art.Commit,
		Digest: w.art.Digest, Signer: w.art.Signer, Started: r.now(), LogPath: r.History.LogPath(id)}
}

func (r *Reconciler) revisionOf(a source.Artifact, toplevel string) *Revision {
	return &Revision{Revision: a.Revision, Commit: a.Commit, Digest: a.Digest, Toplevel: toplevel, At: r.now(), Signer: a.Signer}
}

// journal saves an attempt's progress in the state file.
type journal struct {
	r   *Reconciler
	st  *State
	rev *Revision
}

func (j *journal) Record(p activate.Progress) error {
	j.st.InProgress = &InProgress{Revision: *j.rev, Progress: p}
	j.st.InProgress.Toplevel = p.Toplevel
	return j.r.Store.Save(*j.st)
}

func short(digest string) string {
	if len(digest) > 19 {
		return digest[:19]
	}
	return digest
}
