package gitsource

import (
	"context"
	"errors"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/berth-nix/berth/internal/fault"
)

// deepenSteps are the history depths fetched, in turn, when a walk reaches
// the edge of a shallow repository; the last one is git's "unshallow".
var deepenSteps = []int{64, 1024, 1<<31 - 1}

// Descends reports whether commit has ancestor in its history; equal
// commits count as descending. It is how history rewrites (force pushes)
// are refused: a new head must descend from the last applied commit.
//
// The walk runs over the local repository. When it reaches commits whose
// parents a shallow fetch left out, the branch's history is deepened from
// the remote and the walk repeated, so "false" is only answered once the
// whole history of commit was examined. Network failures are Transient;
// hashes that are not 40 hex digits are Stalling.
func (s *Source) Descends(ctx context.Context, ancestor, commit string) (bool, error) {
	a, c, err := parseHashes(ancestor, commit)
	if err != nil || a == c {
		return err == nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.open()
	if err != nil {
		return false, err
	}
	for _, depth := range append([]int{0}, deepenSteps...) {
		if depth > 0 {
			if err := s.fetch(ctx, r, depth); err != nil {
				return false, err
			}
		}
		found, complete, err := walk(r, a, c)
		if err != nil || found || complete {
			return found, err
		}
	}
	return false, fault.Transientf("git source: history of %s is incomplete even after fetching all of %s", c, s.cfg.Branch)
}

func parseHashes(ancestor, commit string) (plumbing.Hash, plumbing.Hash, error) {
	for _, h := range []string{ancestor, commit} {
		if len(h) != 40 || !plumbing.IsHash(h) {
			return plumbing.ZeroHash, plumbing.ZeroHash, fault.Stallingf("git source: %q is not a commit hash", h)
		}
	}
	return plumbing.NewHash(ancestor), plumbing.NewHash(commit), nil
}

// walk searches the history of c for a. complete is false when some
// commit on the way is missing locally (the edge of a shallow fetch, or
// c itself not fetched yet).
func walk(r *git.Repository, a, c plumbing.Hash) (found, complete bool, err error) {
	seen := map[plumbing.Hash]bool{c: true}
	queue := []plumbing.Hash{c}
	complete = true
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if h == a {
			return true, true, nil
		}
		commit, err := object.GetCommit(r.Storer, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			complete = false
			continue
		}
		if err != nil {
			return false, false, fault.AsTransient(err)
		}
		for _, p := range commit.ParentHashes {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	return false, complete, nil
}
