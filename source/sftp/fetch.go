package sftpsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source/manifest"
	"github.com/berth-nix/berth/source/tree"
)

// The local copy of the last fetched tree, under StateDir:
//
//	cache/manifest.json   the manifest it was fetched by
//	cache/tree/           the host directory, files at their tree paths
//	incoming-*/           the same layout while a fetch is under way
//
// The copy is trusted for nothing: a file taken from it is hashed again
// and downloaded instead when it does not match.
const (
	cacheName    = "cache"
	incomingGlob = "incoming-*"
	treeName     = "tree"
)

// download builds an incoming directory holding m's tree, taking files
// from the cache where their hash matches and from the server otherwise.
// Every file is checked against the manifest's size and hash.
func (s *Source) download(ctx context.Context, ss *session, m *manifest.Manifest) (string, error) {
	if err := s.clearLeftovers(); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(s.cfg.StateDir, "incoming-")
	if err != nil {
		return "", localErr("incoming directory", err)
	}
	if err := s.fill(ctx, ss, m, filepath.Join(dir, treeName)); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	data, err := m.Encode()
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, manifest.Name), data, 0o600)
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", localErr("incoming manifest", err)
	}
	return dir, nil
}

// fill writes every entry of m below root.
func (s *Source) fill(ctx context.Context, ss *session, m *manifest.Manifest, root string) error {
	if err := os.Mkdir(root, 0o755); err != nil {
		return localErr("incoming directory", err)
	}
	have := s.cached()
	for _, f := range m.Files {
		dst := filepath.Join(root, filepath.FromSlash(f.Path))
		if f.Mode == manifest.ModeDir {
			if err := os.Mkdir(dst, 0o755); err != nil {
				return localErr("incoming directory", err)
			}
			continue
		}
		if f.Mode == manifest.ModeLink {
			if err := s.getLink(ctx, ss, m, f, dst); err != nil {
				return err
			}
			continue
		}
		if src, ok := have[f.SHA256]; ok && copyLocal(src, dst, f) == nil {
			continue
		}
		if err := s.get(ctx, ss, m, f, dst); err != nil {
			return err
		}
	}
	return nil
}

// get downloads one file of m's tree to dst.
func (s *Source) get(ctx context.Context, ss *session, m *manifest.Manifest, f manifest.File, dst string) error {
	name := s.cfg.remote(path.Join(m.TreeDir(), manifest.ServerPath(f.Path)))
	var mismatch *mismatchError
	var local *localError
	err := ss.do(func() error {
		rf, err := ss.sftp.Open(name)
		if err != nil {
			return err
		}
		defer rf.Close()
		return receive(dst, rf, f)
	})
	switch {
	case err == nil:
		return nil
	case errors.As(err, &local):
		return localErr("writing "+dst, local.err)
	case errors.As(err, &mismatch):
		return fault.Transientf("sftp source: %s on the server: %v (truncated, or changed since it was published)", name, mismatch)
	case errors.Is(err, fs.ErrNotExist):
		return fault.Transientf("sftp source: %s: gone from the server (pruned by a newer publish?): %w", name, err)
	}
	return s.netErr(ctx, "download "+name+" from", err, ss.conn)
}

// getLink reads the target of one link of m's tree (a link below files/,
// published as a link) and makes the same link at dst.
func (s *Source) getLink(ctx context.Context, ss *session, m *manifest.Manifest, f manifest.File, dst string) error {
	name := s.cfg.remote(path.Join(m.TreeDir(), manifest.ServerPath(f.Path)))
	var target string
	err := ss.do(func() error {
		var err error
		target, err = ss.sftp.ReadLink(name)
		return err
	})
	if err != nil {
		return s.netErr(ctx, "read the link "+name+" from", err, ss.conn)
	}
	sum := sha256.Sum256([]byte(target))
	if int64(len(target)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
		return fault.Transientf("sftp source: %s on the server: the link's target does not match the manifest (changed since it was published?)", name)
	}
	return localErr("writing "+dst, os.Symlink(target, dst))
}

// copyLocal copies the cached file src to dst if it still matches f.
func copyLocal(src, dst string, f manifest.File) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := receive(dst, in, f); err != nil {
		os.Remove(dst)
		return err
	}
	return nil
}

// mismatchError is content that does not match its manifest entry.
type mismatchError struct{ got, want string }

func (e *mismatchError) Error() string { return fmt.Sprintf("got %s, want %s", e.got, e.want) }

// localError is a failure to write the local copy.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }

// receive writes r to a new file dst with f's mode, and checks that it
// held exactly f.Size bytes hashing to f.SHA256. Write failures come back
// as *localError, content that does not match as *mismatchError, and
// read failures as they are.
func receive(dst string, r io.Reader, f manifest.File) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return &localError{err}
	}
	h := sha256.New()
	w := &errWriter{w: out}
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, f.Size+1))
	if cerr := out.Close(); w.err == nil && cerr != nil {
		w.err = cerr
	}
	switch {
	case w.err != nil:
		return &localError{w.err}
	case err != nil:
		return err
	case n != f.Size:
		return &mismatchError{fmt.Sprintf("%d bytes", n), fmt.Sprintf("%d", f.Size)}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return &mismatchError{"sha256 " + got, f.SHA256}
	}
	perm := os.FileMode(0o644)
	if f.Mode == manifest.ModeExec {
		perm = 0o755
	}
	if err := os.Chmod(dst, perm); err != nil {
		return &localError{err}
	}
	return nil
}

// errWriter remembers the first write error, so that receive can tell a
// full disk from a dropped connection.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

// verify resolves the incoming tree and checks it against the manifest's
// digest.
func (s *Source) verify(dir string, m *manifest.Manifest) (*tree.Tree, error) {
	tr, err := tree.Resolve(os.DirFS(dir).(fs.ReadLinkFS), treeName, s.cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("sftp source: %s: %w", m.Revision(), err)
	}
	if got := tr.Digest(); got != m.Digest {
		return nil, fault.Transientf("sftp source: %s: the downloaded tree's digest is %s", m.Revision(), got)
	}
	return tr, nil
}

// cached maps content hashes to files of the cache; empty when there is
// no usable cache.
func (s *Source) cached() map[string]string {
	dir := filepath.Join(s.cfg.StateDir, cacheName)
	data, err := os.ReadFile(filepath.Join(dir, manifest.Name))
	if err != nil {
		return nil
	}
	m, err := manifest.Parse(data, s.cfg.Limits)
	if err != nil {
		return nil
	}
	have := map[string]string{}
	for _, f := range m.Files {
		if f.Mode != manifest.ModeDir && f.Mode != manifest.ModeLink {
			have[f.SHA256] = filepath.Join(dir, treeName, filepath.FromSlash(f.Path))
		}
	}
	return have
}

// keep makes the verified incoming directory the cache.
func (s *Source) keep(dir string) error {
	cache := filepath.Join(s.cfg.StateDir, cacheName)
	old := cache + ".old"
	if err := os.RemoveAll(old); err != nil {
		return localErr("cache", err)
	}
	if err := os.Rename(cache, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return localErr("cache", err)
	}
	if err := os.Rename(dir, cache); err != nil {
		return localErr("cache", err)
	}
	return localErr("cache", os.RemoveAll(old))
}

// clearLeftovers removes incoming directories of interrupted fetches.
func (s *Source) clearLeftovers() error {
	if err := os.MkdirAll(s.cfg.StateDir, 0o700); err != nil {
		return localErr("state directory", err)
	}
	left, _ := filepath.Glob(filepath.Join(s.cfg.StateDir, incomingGlob))
	for _, d := range left {
		if err := os.RemoveAll(d); err != nil {
			return localErr("removing "+d, err)
		}
	}
	return nil
}
