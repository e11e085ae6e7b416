package reconciler

import (
	"context"
	"fmt"

	"github.com/berth-nix/berth/internal/fault"
)

// lineage refuses a head that does not descend from the last applied
// commit: a force-push, or a replay of an older commit, must not roll the
// host back. The last applied commit is known twice, from the state file
// and from the lineage anchor beside it (lineage_anchor.go); the head must
// descend from both, so losing or resetting the state file does not lift
// the rule. An admin rolls back by committing a revert.
func (r *Reconciler) lineage(ctx context.Context, w *run) error {
	if r.Lineage == nil || r.AllowRewrite || w.art.Commit == "" {
		return nil
	}
	lasts, err := r.lastApplied(w.st)
	if err != nil {
		return err
	}
	for _, last := range lasts {
		ok, err := r.Lineage.Descends(ctx, last, w.art.Commit)
		if err != nil {
			return fmt.Errorf("check history of %s: %w", w.art.Commit, err)
		}
		if !ok {
			w.result = ResultRefused
			return fault.Stallingf("refused %s: commit %s does not descend from the last applied commit %s (history rewritten or an older commit replayed); roll back by committing a revert, or set source.git.allow_history_rewrite to accept it",
				w.art.Revision, w.art.Commit, last)
		}
	}
	return nil
}

// lastApplied lists the distinct last applied commits the state and the
// anchor remember. An unreadable anchor is an error: without it, a lost
// state file would let any commit through.
func (r *Reconciler) lastApplied(st State) ([]string, error) {
	var out []string
	if a := st.Applied; a != nil && a.Commit != "" {
		out = append(out, a.Commit)
	}
	anchor, err := r.Store.Anchor().Load()
	if err != nil {
		return nil, fault.Transientf("%w; it guards against applying an older commit after the state file was lost: repair or remove it", err)
	}
	if anchor != nil && anchor.Commit != "" && (len(out) == 0 || out[0] != anchor.Commit) {
		out = append(out, anchor.Commit)
	}
	return out, nil
}
