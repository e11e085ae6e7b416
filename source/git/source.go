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
	"io/fs"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/rollout"
	"github.com/berth-nix/berth/source"
	"github.com/berth-nix/berth/source/tree"
)

// Source follows one branch of one git remote for one host.
type Source struct {
	cfg  Config
	kind string
	// verifier checks the head's signature when cfg.Signing is set.
	verifier *commitVerifier
	// mu serialises use of the repository under StateDir, and guards
	// the fields below.
	mu sync.Mutex
	// grownFrom is the repository's size when the latest Fetch began:
	// that fetch and the history deepening that follows it share one
	// source.max_fetch_bytes budget. -1 before the first Fetch.
	grownFrom int64
	// discard says that the repository holds a revision that was
	// refused; the next Fetch starts from an empty one, so refused pushes
	// do not pile up on disk.
	discard bool
	// lastPoll is what the last Poll learned, for the Fetch after it.
	lastPoll atomic.Pointer[polled]
}

var _ source.Source = (*Source)(nil)

// New checks cfg and returns a Source for it. It touches no network; it
// reads the trust files of cfg.Signing, when set, so that a signing
// policy that cannot work fails at start-up.
func New(cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	kind, _ := urlKind(cfg.URL)
	s := &Source{cfg: cfg, kind: kind, grownFrom: -1}
	if cfg.Signing != nil {
		v, err := newCommitVerifier(*cfg.Signing)
		if err != nil {
			return nil, err
		}
		s.verifier = v
	}
	return s, nil
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
	// A fetch and a large tree leave much garbage in a process that then
	// sleeps until the next poll: give it back to the system now.
	defer debug.FreeOSMemory()
	if s.discard {
		if err := os.RemoveAll(s.cfg.StateDir); err != nil {
			return source.Artifact{}, s.localErr("discarding refused revisions", err)
		}
		s.discard = false
	}
	dropIncoming(s.cfg.StateDir)
	s.grownFrom = dirSize(s.cfg.StateDir)
	a, err := s.fetchStage(ctx)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		if err := os.RemoveAll(s.cfg.StateDir); err != nil {
			return source.Artifact{}, s.localErr("discarding incomplete repository", err)
		}
		s.grownFrom = 0
		a, err = s.fetchStage(ctx)
	}
	s.discard = fault.ClassOf(err) == fault.Stalling
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
	signer, err := s.checkSigned(c)
	if err != nil {
		return source.Artifact{Revision: s.revision(c.Hash), Commit: c.Hash.String()}, err
	}
	art, err := s.stage(r, c)
	if err == nil {
		art.Signer = signer
	}
	return art, err
}

// stage resolves and stages the host directory of commit c.
func (s *Source) stage(r *git.Repository, c *object.Commit) (source.Artifact, error) {
	root, err := c.Tree()
	if err != nil {
		return source.Artifact{}, s.localErr("reading tree of "+c.Hash.String(), err)
	}
	fsys := newCommitFS(root, r.Storer, c.Committer.When)
	tr, err := tree.Resolve(fsys, s.cfg.HostDir, s.cfg.Limits)
	if err != nil {
		return source.Artifact{}, fmt.Errorf("git source: %s: %w", s.revision(c.Hash), err)
	}
	policy, err := readPolicy(fsys)
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
		Policy:         policy,
	}, nil
}

// readPolicy reads the rollout policy at the root of the commit; nil
// when there is none. It must be a regular file of bounded size.
func readPolicy(fsys commitFS) ([]byte, error) {
	fi, err := fsys.Lstat(rollout.FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > rollout.MaxSize {
		return nil, fault.Stallingf("%s must be a regular file of at most %d bytes", rollout.FileName, rollout.MaxSize)
	}
	return fs.ReadFile(fsys, rollout.FileName)
}
