package gitsource

import (
	"context"
	"errors"
	"slices"

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
//
// A "false", or a deepening refused for its size, marks the local
// repository for discarding at the next Fetch (see Source.discard).
func (s *Source) Descends(ctx context.Context, ancestor, commit string) (found bool, err error) {
	a, c, err := parseHashes(ancestor, commit)
	if err != nil || a == c {
		return err == nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if (err == nil && !found) || fault.ClassOf(err) == fault.Stalling {
			s.discard = true
		}
	}()
	r, err := s.open()
	if err != nil {
		return false, err
	}
	var edges []plumbing.Hash
	for _, depth := range append([]int{0}, deepenSteps...) {
		if depth > 0 {
			if err := s.deepen(ctx, r, depth, edges); err != nil {
				return false, err
			}
		}
		found, complete, missing, err := walk(r, a, c)
		if err != nil || found || complete {
			return found, err
		}
		edges = missing
	}
	return false, fault.Transientf("git source: history of %s is incomplete even after fetching all of %s", c, s.cfg.Branch)
}

// deepen fetches the branch's history to depth. The commits in edges lack
// their parents; they are recorded as shallow first, because an
// incremental fetch does not record them and the remote must be told, or
// it assumes their history is here and sends nothing.
func (s *Source) deepen(ctx context.Context, r *git.Repository, depth int, edges []plumbing.Hash) error {
	shallow, err := r.Storer.Shallow()
	if err != nil {
		return s.localErr("reading shallow commits", err)
	}
	for _, e := range edges {
		if !slices.Contains(shallow, e) {
			shallow = append(shallow, e)
		}
	}
	if err := r.Storer.SetShallow(shallow); err != nil {
		return s.localErr("recording shallow commits", err)
	}
	return s.fetch(ctx, r, depth)
}

func parseHashes(ancestor, commit string) (plumbing.Hash, plumbing.Hash, error) {
	for _, h := range []string{ancestor, commit} {
		if len(h) != 40 || !plumbing.IsHash(h) {
			return plumbing.ZeroHash, plumbing.ZeroHash, fault.Stallingf("git source: %q is not a commit hash", h)
		}
	}
	return plumbing.NewHash(ancestor), plumbing.NewHash(commit), nil
}

// walk searches the history of c for a. complete says whether all of it
// was here; edges lists the local commits whose parents are not (the
// edge of a shallow fetch).
func walk(r *git.Repository, a, c plumbing.Hash) (found, complete bool, edges []plumbing.Hash, err error) {
	complete = true
	seen := map[plumbing.Hash]bool{c: true}
	queue := []plumbing.Hash{c}
	child := map[plumbing.Hash]plumbing.Hash{}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if h == a {
			return true, true, nil, nil
		}
		commit, err := object.GetCommit(r.Storer, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			complete = false
			if e, ok := child[h]; ok && !slices.Contains(edges, e) {
				edges = append(edges, e)
			}
			continue
		}
		if err != nil {
			return false, false, nil, fault.AsTransient(err)
		}
		for _, p := range commit.ParentHashes {
			if !seen[p] {
				seen[p], child[p] = true, h
				queue = append(queue, p)
			}
		}
	}
	return false, complete, edges, nil
}
