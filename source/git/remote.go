package gitsource

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/berth-nix/berth/internal/fault"
)

// remoteName names the remote inside the bare repository; the tracking
// reference lives under refs/remotes/<remoteName>/.
const remoteName = "origin"

// remoteHead asks the remote for the branch head (ls-remote).
func (s *Source) remoteHead(ctx context.Context) (plumbing.Hash, error) {
	auth, err := s.auth()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	rem := git.NewRemote(memory.NewStorage(), s.remoteConfig())
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth, ProxyOptions: s.proxy()})
	if err != nil {
		return plumbing.ZeroHash, s.netErr(ctx, "listing references of", err)
	}
	for _, ref := range refs {
		if ref.Name() == s.branchRef() {
			return ref.Hash(), nil
		}
	}
	return plumbing.ZeroHash, s.noBranch()
}

func (s *Source) remoteConfig() *config.RemoteConfig {
	return &config.RemoteConfig{Name: remoteName, URLs: []string{s.cfg.URL}}
}

func (s *Source) noBranch() error {
	return fault.Stallingf("git source: branch %q does not exist on %s", s.cfg.Branch, redactURL(s.cfg.URL))
}

// proxy bounds SSH connections by the timeout (see deadlineProxy).
func (s *Source) proxy() transport.ProxyOptions {
	if s.kind != kindSSH {
		return transport.ProxyOptions{}
	}
	return deadlineProxy(s.cfg.Timeout)
}

// trackingRef is where the fetched branch head is kept locally.
func (s *Source) trackingRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName(remoteName, s.cfg.Branch)
}

// open opens the bare repository under StateDir, creating it on first use.
func (s *Source) open() (*git.Repository, error) {
	r, err := git.PlainOpen(s.cfg.StateDir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if err := os.MkdirAll(s.cfg.StateDir, 0o700); err != nil {
			return nil, s.localErr("creating state dir", err)
		}
		r, err = git.PlainInit(s.cfg.StateDir, true)
	}
	if err != nil {
		return nil, s.localErr("opening repository", err)
	}
	return r, nil
}

// fetchHead fetches the branch into r and returns its head. The first
// fetch is shallow (depth 1); later ones are incremental: they tell the
// remote what r has, and it sends only what r lacks.
func (s *Source) fetchHead(ctx context.Context, r *git.Repository) (plumbing.Hash, error) {
	depth := 0
	if _, err := r.Reference(s.trackingRef(), false); err != nil {
		depth = 1
	}
	if err := s.fetch(ctx, r, depth); err != nil {
		return plumbing.ZeroHash, err
	}
	ref, err := r.Reference(s.trackingRef(), false)
	if err != nil {
		return plumbing.ZeroHash, s.localErr("reading "+s.trackingRef().String(), err)
	}
	return ref.Hash(), nil
}

// fetch fetches the branch into r, force-updating the tracking reference
// (history rewrites are judged by Descends, not refused here). Depth 0
// fetches everything the remote has that r lacks.
func (s *Source) fetch(ctx context.Context, r *git.Repository, depth int) error {
	auth, err := s.auth()
	if err != nil {
		return err
	}
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", s.branchRef(), s.trackingRef()))
	maxFetch := cmp.Or(s.cfg.MaxFetchBytes, DefaultMaxFetchBytes)
	screened := screenedStorer{Storer: r.Storer, dir: s.cfg.StateDir,
		lim: packLimits{object: cmp.Or(s.cfg.MaxObjectBytes, DefaultMaxObjectBytes), total: maxFetch}}
	rem := git.NewRemote(screened, s.remoteConfig())
	if s.grownFrom < 0 {
		s.grownFrom = dirSize(s.cfg.StateDir)
	}
	watch := watchGrowth(ctx, s.cfg.StateDir, maxFetch, s.grownFrom)
	err = rem.FetchContext(watch.ctx, &git.FetchOptions{
		RefSpecs:     []config.RefSpec{spec},
		Depth:        depth,
		Auth:         auth,
		Tags:         git.NoTags,
		Force:        true,
		ProxyOptions: s.proxy(),
	})
	if werr := watch.stop(); werr != nil {
		return werr
	}
	var noRef git.NoMatchingRefSpecError
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case errors.As(err, &noRef):
		return s.noBranch()
	case fault.ClassOf(err) == fault.Stalling:
		// A pack screenPack refused: as for a fetch over the size
		// limit, nothing of it is kept and the next fetch starts afresh.
		os.RemoveAll(s.cfg.StateDir)
		return err
	}
	return s.netErr(ctx, "fetching from", err)
}
