package gitsource

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage"

	"github.com/berth-nix/berth/internal/fault"
)

// DefaultMaxObjectBytes bounds the size of one git object, and of the
// result of one delta, that a fetched pack may declare, when
// Config.MaxObjectBytes is zero.
const DefaultMaxObjectBytes int64 = 256 << 20

// packLimits bound what a pack may declare: any one object or delta
// result (object), and all of them together (total).
type packLimits struct {
	object, total int64
}

// packLimits are the limits of s's configuration.
func (s *Source) packLimits() packLimits {
	return packLimits{object: cmp.Or(s.cfg.MaxObjectBytes, DefaultMaxObjectBytes),
		total: cmp.Or(s.cfg.MaxFetchBytes, DefaultMaxFetchBytes)}
}

// screenedStorer is the local repository as a fetch sees it: every pack
// the remote sends is written to a file and screened (screenPack) before
// go-git reads it. go-git builds each object and each delta result in
// memory at the size the pack declares, before anything is verified: a
// pack of a few hundred bytes declaring a 4 GiB delta result exhausts the
// agent's memory. Screening reads the declarations only, with bounded
// memory.
type screenedStorer struct {
	storage.Storer
	dir string // where incoming packs are written
	lim packLimits
}

// PackfileWriter returns a writer whose Close screens the pack and only
// then hands it to the repository.
func (s screenedStorer) PackfileWriter() (io.WriteCloser, error) {
	pw, ok := s.Storer.(storer.PackfileWriter)
	if !ok {
		return nil, errors.New("the local repository cannot store packs")
	}
	f, err := os.CreateTemp(s.dir, "incoming-*.pack")
	if err != nil {
		return nil, err
	}
	return &screenWriter{File: f, pw: pw, lim: s.lim}, nil
}

type screenWriter struct {
	*os.File
	pw  storer.PackfileWriter
	lim packLimits
}

// dropIncoming removes incoming packs an interrupted fetch left in dir.
func dropIncoming(dir string) {
	left, _ := filepath.Glob(filepath.Join(dir, "incoming-*.pack*"))
	for _, p := range left {
		os.Remove(p)
	}
}

// screenedSuffix marks an incoming pack that passed the screen while the
// repository copies it: the growth watch does not count it again.
const screenedSuffix = ".screened"

func (w *screenWriter) Close() error {
	name := w.Name()
	defer func() { os.Remove(name) }()
	defer w.File.Close()
	if _, err := w.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := screenPack(bufio.NewReader(w.File), w.lim); err != nil {
		return err
	}
	if err := os.Rename(name, name+screenedSuffix); err != nil {
		return err
	}
	name += screenedSuffix
	if _, err := w.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return packfile.WritePackfileToObjectStorage(w.pw, w.File)
}

// screenPack reads a pack's object headers and the size headers of its
// deltas, inflating every object into nothing, and refuses a pack that
// declares an object or delta result over lim.object, or more than
// lim.total in all. Such a refusal is Stalling: it is the remote's
// content. A pack it cannot read (cut short, corrupt) is Transient, as a
// failed download is.
func screenPack(r io.Reader, lim packLimits) error {
	sc := packfile.NewScanner(r)
	_, n, err := sc.Header()
	if err != nil {
		return fault.Transientf("git source: the fetched pack is unreadable: %w", err)
	}
	var total int64
	for i := uint32(0); i < n; i++ {
		size, err := screenObject(sc, lim.object)
		if err != nil {
			return fmt.Errorf("git source: the fetched pack's object %d of %d: %w", i+1, n, err)
		}
		if total += size; total > lim.total {
			return fault.Stallingf("git source: the fetched pack's objects add up to more than %d bytes (source.max_fetch_bytes); refusing it before unpacking", lim.total)
		}
	}
	return nil
}

// screenObject reads one object and returns the size it unpacks to.
func screenObject(sc *packfile.Scanner, max int64) (int64, error) {
	h, err := sc.NextObjectHeader()
	if err != nil {
		return 0, fault.Transientf("unreadable: %w", err)
	}
	if h.Length > max {
		return 0, fault.Stallingf("declares %d bytes, more than the limit of %d; refusing the pack before unpacking", h.Length, max)
	}
	var d deltaHead
	if _, _, err := sc.NextObject(&d); err != nil {
		return 0, fault.Transientf("unreadable: %w", err)
	}
	if h.Type != plumbing.OFSDeltaObject && h.Type != plumbing.REFDeltaObject {
		return h.Length, nil
	}
	base, result, ok := d.sizes()
	switch {
	case !ok:
		return 0, fault.Transientf("a delta without a readable size header")
	case base > max || result > max:
		return 0, fault.Stallingf("a delta declares a %d-byte base and a %d-byte result, more than the limit of %d; refusing the pack before unpacking", base, result, max)
	}
	return result, nil
}

// deltaHead keeps the first bytes of an inflated delta, where its base
// and result sizes are, and discards the rest.
type deltaHead struct {
	buf [2 * 10]byte
	n   int
}

func (d *deltaHead) Write(p []byte) (int, error) {
	d.n += copy(d.buf[min(d.n, len(d.buf)):], p)
	return len(p), nil
}

// sizes decodes the two little-endian base-128 numbers a delta starts
// with: the size of its base and of its result.
func (d *deltaHead) sizes() (base, result int64, ok bool) {
	b := d.buf[:min(d.n, len(d.buf))]
	base, b, ok = uvarint(b)
	if !ok {
		return 0, 0, false
	}
	result, _, ok = uvarint(b)
	return base, result, ok
}

func uvarint(b []byte) (int64, []byte, bool) {
	var v uint64
	for i, c := range b {
		if i >= 9 {
			return 0, nil, false
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return int64(v), b[i+1:], true
		}
	}
	return 0, nil, false
}
