package reconciler

import (
	"context"

	"github.com/berth-nix/berth/source/tree"
)

// pruneStage removes staged artifacts nobody needs any more: everything
// but the applied, the rejected and an in-progress configuration. Staged
// trees are small, but a host that sees many revisions would otherwise
// keep every one.
func (r *Reconciler) pruneStage(st State) {
	if r.StageDir == "" {
		return
	}
	var keep []string
	for _, rev := range []*Revision{st.Applied, rejectedRev(st.Rejected), inProgressRev(st.InProgress)} {
		if rev != nil && rev.Digest != "" {
			keep = append(keep, rev.Digest)
		}
	}
	if err := tree.Prune(r.StageDir, keep); err != nil {
		r.log().Warn("cannot prune staged configurations", "dir", r.StageDir, "err", err)
	}
}

func rejectedRev(r *Rejection) *Revision {
	if r == nil {
		return nil
	}
	return &r.Revision
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
