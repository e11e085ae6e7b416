package nixos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// GC root names berth keeps under its root directory: the system of the
// attempt under way, and the last system that passed its verdict.
const (
	RootCandidate = "candidate"
	RootLastGood  = "last-good"
)

// Retention bounds what past deployments keep on disk: old system profile
// generations (and with them boot menu entries), berth's candidate root,
// and, below a free-space threshold, unreachable store paths.
type Retention struct {
	Nix *Nix
	// Profile is the system profile; GCRoots is berth's root directory
	// ("" means GCRootDir); Root is "/" on a real host.
	Profile, GCRoots, Root string
	// Keep is how many of the newest generations stay; < 1 keeps all.
	Keep int
	// MinFree, when positive, collects garbage once the file system of
	// Store has less than this many bytes free.
	MinFree uint64
	Store   string
	// RefreshBoot, when set, rewrites the boot entries from the profile
	// after generations were deleted (switch-to-configuration boot).
	RefreshBoot func(ctx context.Context, toplevel string) error
}

// Pruned says what one Prune removed.
type Pruned struct {
	Generations []int
	Candidate   bool
	Collected   bool
	// Free is the space left in Store afterwards, when it was measured.
	Free uint64
}

// Prune deletes the generations beyond Keep, never the current one nor one
// whose system is booted, running or the last good one. Unless busy (an
// attempt is under way and needs its candidate), it removes the candidate
// root. It then collects garbage if free space is below MinFree. Each step
// runs even if an earlier one failed; the errors are joined.
func (r *Retention) Prune(ctx context.Context, busy bool, log io.Writer) (Pruned, error) {
	var p Pruned
	errs := []error{r.pruneGenerations(ctx, log, &p)}
	if !busy {
		errs = append(errs, r.dropCandidate(&p))
	}
	errs = append(errs, r.collect(ctx, log, &p))
	return p, errors.Join(errs...)
}

func (r *Retention) pruneGenerations(ctx context.Context, log io.Writer, p *Pruned) error {
	if r.Keep < 1 {
		return nil
	}
	gens, err := Generations(r.Profile)
	if err != nil {
		return err
	}
	p.Generations = Prunable(gens, r.Keep, CurrentGeneration(r.Profile), r.protected())
	if len(p.Generations) == 0 {
		return nil
	}
	if err := r.Nix.DeleteGenerations(ctx, r.Profile, p.Generations, log); err != nil {
		p.Generations = nil
		return err
	}
	if r.RefreshBoot == nil {
		return nil
	}
	top, err := ProfileSystem(r.Profile)
	if err != nil {
		return err
	}
	return r.RefreshBoot(ctx, top)
}

// protected lists the systems whose generations are never deleted.
func (r *Retention) protected() []string {
	var keep []string
	if s, err := BootedSystem(r.Root); err == nil {
		keep = append(keep, s)
	}
	if s, err := CurrentSystem(r.Root); err == nil {
		keep = append(keep, s)
	}
	if s, err := filepath.EvalSymlinks(filepath.Join(gcRootDir(r.GCRoots), RootLastGood)); err == nil {
		keep = append(keep, s)
	}
	return keep
}

func (r *Retention) dropCandidate(p *Pruned) error {
	if _, err := os.Lstat(filepath.Join(gcRootDir(r.GCRoots), RootCandidate)); err != nil {
		return nil
	}
	p.Candidate = true
	return RemoveGCRoot(r.GCRoots, RootCandidate)
}

func (r *Retention) collect(ctx context.Context, log io.Writer, p *Pruned) error {
	if r.MinFree == 0 {
		return nil
	}
	free, err := FreeBytes(r.Store)
	if err != nil {
		return err
	}
	p.Free = free
	if free >= r.MinFree {
		return nil
	}
	fmt.Fprintf(log, "berth: %d bytes free in %s, below %d: collecting garbage\n", free, r.Store, r.MinFree)
	if err := r.Nix.CollectGarbage(ctx, log); err != nil {
		return err
	}
	p.Collected = true
	p.Free, err = FreeBytes(r.Store)
	return err
}
