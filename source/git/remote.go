package gitsource

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
)

// remoteName names the remote inside the bare repository; the tracking
// reference lives under refs/remotes/<remoteName>/.
const remoteName = "origin"

// remoteHead asks the remote for the branch head. Over HTTP(S) and SSH it
// speaks protocol version 2 when the remote does (see lsRef); the answer
// is remembered for the fetch that follows (see polled).
func (s *Source) remoteHead(ctx context.Context) (plumbing.Hash, error) {
	if s.kind == kindFile {
		return s.listHead(ctx)
	}
	w, err := s.dialWire(ctx)
	if err != nil {
		return plumbing.ZeroHash, s.netErr(ctx, "listing references of", err)
	}
	defer w.Close()
	h, v2, err := s.lsRef(w)
	if errors.Is(err, errNoRef) {
		return plumbing.ZeroHash, s.noBranch()
	}
	if err != nil {
		return plumbing.ZeroHash, s.netErr(ctx, "listing references of", err)
	}
	s.lastPoll.Store(&polled{head: h, v2: v2})
	return h, nil
}

// lsRef asks for the branch head and says whether the remote can fetch by
// protocol version 2. Over HTTP, once the remote has spoken version 2, the
// poll skips the capability advertisement and sends ls-refs at once: one
// request of a few hundred bytes. Should that fail for any reason but the
// network, the remote is asked afresh.
func (s *Source) lsRef(w wireConn) (plumbing.Hash, bool, error) {
	if last := s.lastPoll.Load(); last != nil && last.v2 && s.kind == kindHTTP {
		h, err := lsRefsCommand(w, s.branchRef())
		if err == nil || errors.Is(err, errNoRef) || !protocolErr(err) {
			return h, true, err
		}
	}
	h, caps, err := lsRef(w, s.branchRef())
	return h, caps.v2 && caps.has("fetch"), err
}

// protocolErr tells an answer berth could not understand (a server that
// no longer speaks version 2, say) from a network or credentials failure.
func protocolErr(err error) bool {
	return errors.Is(err, errPktFormat) || errors.Is(err, errRemoteSaid) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errHTTPStatus)
}

// polled is what the last poll learned: the head it saw and whether the
// remote can fetch it by protocol version 2.
type polled struct {
	head plumbing.Hash
	v2   bool
}

// listHead lists every reference with go-git (protocol version 0).
func (s *Source) listHead(ctx context.Context) (plumbing.Hash, error) {
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
// remote what r has, and it sends only what r lacks. When the last poll
// saw the remote speak protocol version 2, the head it saw is fetched
// directly (see fetchV2); otherwise go-git lists the references and
// fetches the branch.
func (s *Source) fetchHead(ctx context.Context, r *git.Repository) (plumbing.Hash, error) {
	depth := 0
	have := plumbing.ZeroHash
	if ref, err := r.Reference(s.trackingRef(), false); err == nil {
		have = ref.Hash()
	} else {
		depth = 1
	}
	if p := s.lastPoll.Load(); p != nil && p.v2 {
		err := s.fetchPolled(ctx, r, p.head, have, depth)
		if !errors.Is(err, errFallback) {
			return p.head, err
		}
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

// fetchPolled brings want into r by protocol version 2, within the
// fetch size limit; a commit r already holds costs no round trip.
func (s *Source) fetchPolled(ctx context.Context, r *git.Repository, want, have plumbing.Hash, depth int) error {
	if _, err := r.Storer.EncodedObject(plumbing.CommitObject, want); err == nil {
		ref := plumbing.NewHashReference(s.trackingRef(), want)
		if err := r.Storer.SetReference(ref); err != nil {
			return s.localErr("updating "+ref.Name().String(), err)
		}
		return nil
	}
	if s.grownFrom < 0 {
		s.grownFrom = dirSize(s.cfg.StateDir)
	}
	watch := watchGrowth(ctx, s.cfg.StateDir, cmp.Or(s.cfg.MaxFetchBytes, DefaultMaxFetchBytes), s.grownFrom)
	err := s.fetchV2(watch.ctx, r, want, have, depth)
	source.ReturnMemory()
	if werr := watch.stop(); werr != nil {
		return werr
	}
	return err
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
	screened := screenedStorer{Storer: r.Storer, dir: s.cfg.StateDir, lim: s.packLimits()}
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
	source.ReturnMemory()
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
