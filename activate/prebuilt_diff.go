package activate

import (
	"context"
	"io"
	"sync"

	"github.com/berth-nix/berth/nixos"
)

// ClosureDiff is what a new system changes compared with the running one.
type ClosureDiff = nixos.ClosureDiff

// ClosureDiffer compares two systems in the local store; *nixos.Nix is
// one.
type ClosureDiffer interface {
	DiffClosures(ctx context.Context, before, after string) (nixos.ClosureDiff, error)
}

// Diffing is a Builder that, once a system is built or fetched and before
// anything is activated, writes to the attempt's log what it changes
// compared with the running system, and keeps that diff for the Result
// (see WithDiffs). A diff that cannot be computed is a warning in the
// log, never a failure.
type Diffing struct {
	Builder
	Differ ClosureDiffer
	// Root is "/" on a real host; it locates /run/current-system.
	Root string

	mu   sync.Mutex
	last *ClosureDiff
}

// BuildFlake builds with the wrapped Builder, then records the diff.
func (d *Diffing) BuildFlake(ctx context.Context, flakeDir, attr string, log io.Writer) (string, error) {
	top, err := d.Builder.BuildFlake(ctx, flakeDir, attr, log)
	if err != nil {
		return top, err
	}
	d.record(ctx, top, log)
	return top, nil
}

func (d *Diffing) record(ctx context.Context, top string, log io.Writer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last = nil
	cur, err := nixos.CurrentSystem(d.Root)
	if err != nil || cur == top {
		return
	}
	diff, err := d.Differ.DiffClosures(ctx, cur, top)
	if err != nil {
		logf(log, "warning: cannot compare with the running system: %v", err)
		return
	}
	logf(log, "changes from %s: %s", cur, diff.Summary())
	for _, p := range diff.Packages {
		logf(log, "  %s", p)
	}
	d.last = &diff
}

// Take returns the diff recorded for toplevel and forgets it; nil when
// the last build was of another system or had no diff.
func (d *Diffing) Take(toplevel string) *ClosureDiff {
	d.mu.Lock()
	defer d.mu.Unlock()
	diff := d.last
	d.last = nil
	if diff == nil || diff.After != toplevel {
		return nil
	}
	return diff
}

// WithDiffs applies with Activator and puts into each Result the closure
// diff that Diffs, the Activator's Builder, recorded for its system.
type WithDiffs struct {
	*Activator
	Diffs *Diffing
}

// Apply runs one attempt; see Activator.Apply.
func (w WithDiffs) Apply(ctx context.Context, req Request, j Journal) Result {
	res := w.Activator.Apply(ctx, req, j)
	res.Diff = w.Diffs.Take(res.Toplevel)
	return res
}
