// Package gitsource is the git backend of source: it follows one branch of
// a remote repository and stages one host's directory from its head.
//
// Poll is a single round trip: a protocol version 2 ls-refs for the one
// branch (falling back to version 0's full reference list for servers
// that do not speak version 2). Fetch downloads only that branch
// into a bare repository under Config.StateDir (shallow at first,
// incremental afterwards), reads the host directory straight from the
// commit's tree and stages it with source/tree. Descends answers whether a
// new head builds on an old one, so that history rewrites can be refused.
package gitsource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/berth-nix/berth/source"
	"github.com/berth-nix/berth/source/tree"
)

// Source follows one branch of one git remote for one host.
type Source struct {
	cfg  Config
	kind string
	// mu serialises use of the repository under StateDir.
	mu sync.Mutex
	// lastPoll is what the last Poll learned, for the Fetch after it.
	lastPoll atomic.Pointer[polled]
}

var _ source.Source = (*Source)(nil)

// New checks cfg and returns a Source for it. It touches neither the
// network nor the disk.
func New(cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	kind, _ := urlKind(cfg.URL)
	return &Source{cfg: cfg, kind: kind}, nil
}

// String describes the source without secrets.
func (s *Source) String() string { return s.cfg.String() }

// revision is how a commit of the branch is named for people.
func (s *Source) revision(h plumbing.Hash) string {
	return fmt.Sprintf("%s@sha1:%s", s.cfg.Branch, h)
}

func (s *Source) branchRef() plumbing.ReferenceName {
	return plumbing.NewBranchReferenceName(s.cfg.Branch)
}

// Poll asks the remote for the branch head in one round trip (see
// remoteHead), downloading no objects, and returns "<branch>@sha1:<hash>" for the branch head. An
// unreachable remote, a timeout and refused credentials are Transient; a
// branch missing on the remote is Stalling.
func (s *Source) Poll(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	h, err := s.remoteHead(ctx)
	if err != nil {
		return "", err
	}
	return s.revision(h), nil
}

// Fetch brings the branch head into the local repository, resolves the
// host directory from its tree and stages it. The artifact's Revision is
// the head fetched, its Commit that head's hash and its LastUpdateTime the
// commit time. Errors of tree.Resolve (a bad revision) are Stalling;
// network and disk errors are Transient.
//
// An incremental fetch trusts the remote to know which objects the local
// repository has; after a shallow first fetch it can be wrong (a revert to
// content older than that fetch). When an object turns out to be missing,
// the local repository is discarded and fetched afresh, once.
func (s *Source) Fetch(ctx context.Context) (source.Artifact, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.fetchStage(ctx)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		if err := os.RemoveAll(s.cfg.StateDir); err != nil {
			return source.Artifact{}, s.localErr("discarding incomplete repository", err)
		}
		a, err = s.fetchStage(ctx)
	}
	return a, err
}

func (s *Source) fetchStage(ctx context.Context) (source.Artifact, error) {
	r, err := s.open()
	if err != nil {
		return source.Artifact{}, err
	}
	head, err := s.fetchHead(ctx, r)
	if err != nil {
		return source.Artifact{}, err
	}
	c, err := r.CommitObject(head)
	if err != nil {
		return source.Artifact{}, s.localErr("reading commit "+head.String(), err)
	}
	return s.stage(r, c)
}

// stage resolves and stages the host directory of commit c.
func (s *Source) stage(r *git.Repository, c *object.Commit) (source.Artifact, error) {
	root, err := c.Tree()
	if err != nil {
		return source.Artifact{}, s.localErr("reading tree of "+c.Hash.String(), err)
	}
	fsys := commitFS{root: root, store: r.Storer, mtime: c.Committer.When}
	tr, err := tree.Resolve(fsys, s.cfg.HostDir, s.cfg.Limits)
	if err != nil {
		return source.Artifact{}, fmt.Errorf("git source: %s: %w", s.revision(c.Hash), err)
	}
	path, err := tr.Stage(s.cfg.StageDir)
	if err != nil {
		return source.Artifact{}, fmt.Errorf("git source: %w", err)
	}
	return source.Artifact{
		Host:           s.cfg.Host,
		Revision:       s.revision(c.Hash),
		Commit:         c.Hash.String(),
		Digest:         tr.Digest(),
		Path:           path,
		Size:           tr.Size(),
		LastUpdateTime: c.Committer.When,
	}, nil
}
