package activate

import (
	"context"
	"io"

	"github.com/berth-nix/berth/nixos"
)

// ClosureDiff is what a new system changes compared with the running one.
type ClosureDiff = nixos.ClosureDiff

// ClosureDiffer compares two systems in the local store; *nixos.Nix is
// one.
type ClosureDiffer interface {
	DiffClosures(ctx context.Context, before, after string) (nixos.ClosureDiff, error)
}

// diff compares the new system top with the running one, prev, and
// writes what it changes to the attempt's log. A diff that cannot be
// computed is a warning in the log, never a failure; without a Differ
// there is none.
func (a *Activator) diff(ctx context.Context, prev, top string, log io.Writer) *ClosureDiff {
	if a.Differ == nil || prev == "" {
		return nil
	}
	diff, err := a.Differ.DiffClosures(ctx, prev, top)
	if err != nil {
		logf(log, "warning: cannot compare with the running system: %v", err)
		return nil
	}
	logf(log, "changes from %s: %s", prev, diff.Summary())
	for _, p := range diff.Packages {
		logf(log, "  %s", p)
	}
	return &diff
}
