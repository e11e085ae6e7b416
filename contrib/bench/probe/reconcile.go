package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/reconciler"
)

// errApplied is what the applier answers; seeing it means the reconcile
// did not stop where the benchmark expects.
var errApplied = errors.New("probe: the reconcile reached the applier")

// refusingApplier stands in for activate: the benchmarks that reconcile
// measure the path to an "unchanged" verdict, and reaching the applier is
// a failure.
type refusingApplier struct{}

func (refusingApplier) Apply(context.Context, activate.Request, activate.Journal) activate.Result {
	return activate.Result{Err: errApplied}
}

func (refusingApplier) Resume(context.Context, activate.Progress, activate.Journal, io.Writer) activate.Result {
	return activate.Result{Err: errApplied}
}

// reconciler is a real reconciler over the probe's source, with its
// state under Config.StateDir.
func (p *probe) reconciler() *reconciler.Reconciler {
	dir := p.cfg.StateDir
	lineage, _ := p.src.(reconciler.Lineage)
	return &reconciler.Reconciler{
		Host: "bench", Source: p.src, Lineage: lineage, Applier: refusingApplier{},
		Store:    reconciler.Store{Path: filepath.Join(dir, "state.json")},
		History:  reconciler.History{Dir: filepath.Join(dir, "history"), Keep: 10},
		LockPath: filepath.Join(dir, "lock"),
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// prime fetches the current revision and records it as applied, as if a
// reconcile had just deployed it.
func (p *probe) prime(ctx context.Context) (string, error) {
	a, err := p.src.Fetch(ctx)
	if err != nil {
		return "", err
	}
	store := reconciler.Store{Path: filepath.Join(p.cfg.StateDir, "state.json")}
	st, err := store.Load()
	if err != nil {
		return "", err
	}
	st.Applied = &reconciler.Revision{Revision: a.Revision, Commit: a.Commit, Digest: a.Digest, Toplevel: "/nix/store/bench"}
	st.Settled, st.LastSeen = a.Revision, a.Revision
	return a.Digest, store.Save(st)
}

// reconcile runs one reconcile and answers its result and reason; any
// result but "unchanged" is an error.
func (p *probe) reconcile(ctx context.Context) (string, error) {
	rep := p.reconciler().Run(ctx, reconciler.Options{Trigger: "bench"})
	out := rep.Result + ": " + rep.Reason
	if rep.Result != reconciler.ResultUnchanged {
		return out, fmt.Errorf("reconcile: %s (%v)", out, rep.Err)
	}
	return out, nil
}
