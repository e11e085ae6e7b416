package gitsource

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/berth-nix/berth/internal/fault"
)

// fetchV2 fetches the commit want with one protocol version 2 fetch
// command, without listing references again: the poll just named it.
// The request says "have" for one commit only, the last one fetched, and
// asks for a thin pack: the remote sends the new objects as deltas
// against ones the local repository holds (a commit touching one file of
// a 500-host tree is then a few hundred bytes, not the whole hosts/ tree
// again). depth 1 makes the first fetch shallow.
//
// Errors the remote or its answer cause (an old server, a commit no
// longer reachable) wrap errFallback: the caller fetches the go-git way.
func (s *Source) fetchV2(ctx context.Context, r *git.Repository, want, have plumbing.Hash, depth int) error {
	w, err := s.dialWire(ctx)
	if err != nil {
		return s.netErr(ctx, "fetching from", err)
	}
	defer w.Close()
	if s.kind == kindSSH {
		// Over SSH the server speaks first; over HTTP the poll has
		// already seen it speak version 2.
		adv, err := w.advert()
		if err != nil {
			return s.netErr(ctx, "fetching from", err)
		}
		caps, err := readAdvert(adv, s.branchRef())
		if err != nil || !caps.v2 {
			return fmt.Errorf("%w: the remote no longer speaks protocol version 2 (%v)", errFallback, err)
		}
	}
	shallows, err := r.Storer.Shallow()
	if err != nil {
		return s.localErr("reading shallow commits", err)
	}
	res, err := w.command(fetchRequest(want, have, shallows, depth))
	if err != nil {
		return s.v2Err(ctx, err)
	}
	shallow, err := readFetchSections(res)
	if err != nil {
		return s.v2Err(ctx, err)
	}
	if err := s.storePack(r, &sidebandReader{p: res}, !have.IsZero()); err != nil {
		if fault.ClassOf(err) != fault.Unknown {
			return err // the screen's verdict, or a local failure
		}
		return s.v2Err(ctx, err)
	}
	if err := shallow.apply(r, shallows); err != nil {
		return s.localErr("recording shallow commits", err)
	}
	if _, err := r.Storer.EncodedObject(plumbing.CommitObject, want); err != nil {
		return s.localErr("reading fetched commit "+want.String(), err)
	}
	ref := plumbing.NewHashReference(s.trackingRef(), want)
	if err := r.Storer.SetReference(ref); err != nil {
		return s.localErr("updating "+ref.Name().String(), err)
	}
	return nil
}

// errFallback marks a version 2 fetch that should be retried with go-git.
var errFallback = errors.New("protocol version 2 fetch failed")

// v2Err classifies a failed version 2 fetch: a thin pack whose base the
// local repository lacks is ErrObjectNotFound (Fetch starts afresh), an
// answer berth cannot use is errFallback, the rest is the network's.
func (s *Source) v2Err(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, packfile.ErrReferenceDeltaNotFound):
		return s.localErr("resolving the thin pack", fmt.Errorf("%w: %v", plumbing.ErrObjectNotFound, err))
	case ctx.Err() == nil && (protocolErr(err) || errors.Is(err, packfile.ErrBadSignature)):
		return fmt.Errorf("%w: %v", errFallback, err)
	}
	return s.netErr(ctx, "fetching from", err)
}

// fetchRequest is the fetch command (gitprotocol-v2): "done" at once, so
// the remote skips negotiation and sends the pack.
func fetchRequest(want, have plumbing.Hash, shallows []plumbing.Hash, depth int) []byte {
	var req pktBuf
	req.line("command=fetch\n")
	req.delim()
	req.line("ofs-delta\n")
	req.line("no-progress\n")
	if !have.IsZero() {
		req.line("thin-pack\n")
	}
	req.line("want " + want.String() + "\n")
	if !have.IsZero() {
		req.line("have " + have.String() + "\n")
	}
	for _, h := range shallows {
		req.line("shallow " + h.String() + "\n")
	}
	if depth > 0 {
		req.line("deepen " + strconv.Itoa(depth) + "\n")
	}
	req.line("done\n")
	req.flush()
	return req.Bytes()
}

// shallowInfo is the fetch response's shallow-info section.
type shallowInfo struct{ shallow, unshallow []plumbing.Hash }

// readFetchSections reads the sections before the pack, keeping the
// shallow-info one, and leaves p at the pack's first packet.
func readFetchSections(p *pktReader) (shallowInfo, error) {
	var si shallowInfo
	for {
		kind, data, err := p.next()
		if err != nil {
			return si, err
		}
		header := strings.TrimSuffix(string(data), "\n")
		switch {
		case kind != pktData:
			return si, fmt.Errorf("%w: fetch response ended before the pack", errPktFormat)
		case strings.HasPrefix(header, "ERR "):
			return si, fmt.Errorf("%w: %s", errRemoteSaid, strings.TrimPrefix(header, "ERR "))
		case header == "packfile":
			return si, nil
		}
		_, err = p.lines(func(line string) error {
			if header != "shallow-info" {
				return nil
			}
			verb, oid, _ := strings.Cut(line, " ")
			switch verb {
			case "shallow":
				si.shallow = append(si.shallow, plumbing.NewHash(oid))
			case "unshallow":
				si.unshallow = append(si.unshallow, plumbing.NewHash(oid))
			}
			return nil
		})
		if err != nil {
			return si, err
		}
	}
}

// apply records the new shallow boundary in r.
func (si shallowInfo) apply(r *git.Repository, old []plumbing.Hash) error {
	if len(si.shallow) == 0 && len(si.unshallow) == 0 {
		return nil
	}
	keep := map[plumbing.Hash]bool{}
	for _, h := range append(old, si.shallow...) {
		keep[h] = true
	}
	for _, h := range si.unshallow {
		delete(keep, h)
	}
	list := make([]plumbing.Hash, 0, len(keep))
	for h := range keep {
		list = append(list, h)
	}
	return r.Storer.SetShallow(list)
}

// sidebandReader yields the pack data of a side-band-64k stream (band 1),
// skipping progress (band 2) and failing on the remote's error (band 3).
type sidebandReader struct {
	p    *pktReader
	rest []byte
}

func (s *sidebandReader) Read(b []byte) (int, error) {
	for len(s.rest) == 0 {
		kind, data, err := s.p.next()
		if err != nil {
			return 0, err
		}
		if kind != pktData {
			return 0, io.EOF
		}
		if len(data) == 0 {
			continue
		}
		switch data[0] {
		case 1:
			s.rest = data[1:]
		case 3:
			return 0, fmt.Errorf("%w: %s", errRemoteSaid, strings.TrimSpace(string(data[1:])))
		}
	}
	n := copy(b, s.rest)
	s.rest = s.rest[n:]
	return n, nil
}

// storePack stores a pack in r. The pack is written to a file under
// StateDir and screened first (screenPack), since go-git builds every
// object and delta result in memory at the size the pack declares. A
// complete pack is then written as it is (go-git indexes it); a thin one
// cannot be, as its deltas name bases outside it, so its objects are
// resolved against the repository and stored as loose objects (a few per
// commit on a fleet repository).
func (s *Source) storePack(r *git.Repository, pack io.Reader, thin bool) error {
	f, err := os.CreateTemp(s.cfg.StateDir, "incoming-*.pack")
	if err != nil {
		return s.localErr("writing the fetched pack", err)
	}
	name := f.Name()
	defer func() { os.Remove(name) }()
	defer f.Close()
	if _, err := io.Copy(f, pack); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return s.localErr("reading the fetched pack", err)
	}
	if err := screenPack(bufio.NewReader(f), s.packLimits()); err != nil {
		return err
	}
	// Screened: the growth watch no longer counts the file while its
	// objects are copied into the repository.
	if err := os.Rename(name, name+screenedSuffix); err != nil {
		return s.localErr("writing the fetched pack", err)
	}
	name += screenedSuffix
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return s.localErr("reading the fetched pack", err)
	}
	var st storer.Storer = r.Storer
	if thin {
		st = looseOnly{r.Storer}
	}
	return packfile.UpdateObjectStorage(st, bufio.NewReader(f))
}

// looseOnly hides the storer's PackfileWriter, which would write the thin
// pack to disk unresolved.
type looseOnly struct{ storer.Storer }
