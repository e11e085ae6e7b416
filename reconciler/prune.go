package reconciler

import (
	"context"

	"github.com/berth-nix/berth/source/tree"
)

// pruneStage removes staged artifacts nobody needs any more: everything
// but an in-progress configuration, which a resumed attempt installs. The
// applied and the rejected configurations go too: their files/ trees hold
// secrets in plaintext, and nothing reads a finished attempt's stage (a
// retry fetches and stages again; staging reuses nothing that is gone).
func (r *Reconciler) pruneStage(st State) {
	if r.StageDir == "" {
		return
	}
	var keep []string
	if p := inProgressRev(st.InProgress); p != nil && p.Digest != "" {
		keep = append(keep, p.Digest)
	}
	if err := tree.Prune(r.StageDir, keep); err != nil {
		r.log().Warn("cannot prune staged configurations", "dir", r.StageDir, "err", err)
	}
}

func inProgressRev(p *InProgress) *Revision {
	if p == nil {
		return nil
	}
	return &p.Revision
}

// retain runs Retain, if set, after a reconcile; busy says an attempt is
// still under way and needs what it built.
func (r *Reconciler) retain(ctx context.Context, st State) {
	if r.Retain == nil {
		return
	}
	if err := r.Retain(ctx, st.InProgress != nil); err != nil {
		r.log().Warn("retention", "err", err)
	}
}
