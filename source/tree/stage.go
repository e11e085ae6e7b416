package tree

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/berth-nix/berth/internal/fault"
)

// tempPrefix starts the names of staging directories under construction.
const tempPrefix = ".stage-"

// Stage writes the tree to root/<digest hex>/ and returns that path:
//
//	<hex>/flake/  every entry except the top-level files/ subtree
//	<hex>/files/  the top-level files/ subtree, when the tree has one
//
// Staging is content-addressed: when root/<hex> exists it is complete and
// is reused as it is. Otherwise the tree is built in a temporary directory
// in root, every file and directory is synced, and the result is renamed
// into place, so a crash or a full disk never leaves a partial directory
// under the final name. The staged directory is 0700; files keep their
// executable bit. Content is checked against the entry hashes while it is
// copied. All errors are Transient: they come from the local disk or from
// a source that changed since Resolve.
func (t *Tree) Stage(root string) (string, error) {
	final := filepath.Join(root, t.digestHex())
	if fi, err := os.Stat(final); err == nil && fi.IsDir() {
		return final, nil
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", diskErr(err)
	}
	tmp, err := os.MkdirTemp(root, tempPrefix)
	if err != nil {
		return "", diskErr(err)
	}
	if err := t.build(tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return final, publish(tmp, final, root)
}

// publish renames the finished tmp to final and syncs root. Losing a race
// to another Stage of the same digest is success: final is complete.
func publish(tmp, final, root string) error {
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		if fi, serr := os.Stat(final); serr == nil && fi.IsDir() {
			return nil
		}
		return diskErr(err)
	}
	return diskErr(syncDir(root))
}

// build writes every entry below dir and syncs what it wrote.
func (t *Tree) build(dir string) error {
	dirs := []string{dir, filepath.Join(dir, "flake")}
	if err := os.Mkdir(dirs[1], 0o755); err != nil {
		return diskErr(err)
	}
	for _, e := range t.Entries {
		dst := filepath.Join(dir, stagedPath(e.Path))
		if e.Mode.IsDir() {
			if err := os.Mkdir(dst, 0o755); err != nil {
				return diskErr(err)
			}
			dirs = append(dirs, dst)
			continue
		}
		if e.Mode&fs.ModeSymlink != 0 {
			if err := os.Symlink(e.Link, dst); err != nil {
				return diskErr(err)
			}
			continue
		}
		if err := t.copyFile(e, dst); err != nil {
			return err
		}
	}
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return diskErr(err)
		}
	}
	return nil
}

// stagedPath maps an entry path to its place in the staged layout.
func stagedPath(p string) string {
	if p == "files" || strings.HasPrefix(p, "files/") {
		return filepath.FromSlash(p)
	}
	return filepath.Join("flake", filepath.FromSlash(p))
}

// copyFile writes e's content to dst, synced, and checks its hash.
func (t *Tree) copyFile(e Entry, dst string) error {
	src, err := t.fsys.Open(e.src)
	if err != nil {
		return fault.AsTransient(err)
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, e.Mode.Perm())
	if err != nil {
		return diskErr(err)
	}
	h := sha256.New()
	// Set the mode explicitly: the process umask must not change what the
	// verbatim files tree carries.
	err = out.Chmod(e.Mode.Perm())
	if err == nil {
		_, err = io.Copy(io.MultiWriter(out, h), io.LimitReader(src, e.Size+1))
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return diskErr(err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != e.SHA256 {
		return fault.Transientf("%s changed since it was resolved (sha256 %s, expected %s)", e.Path, got, e.SHA256)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// diskErr classifies a local disk failure as Transient, saying so plainly
// when the disk is full.
func diskErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) {
		return fault.Transientf("staging: disk full: %w", err)
	}
	return fault.Transientf("staging: %w", err)
}

// Prune removes the staged directories under root whose names are not in
// keep, and any leftover temporary directory. keep holds digests
// ("sha256:<hex>") or staged paths. Other names in root are left alone.
// Prune must not run concurrently with Stage on the same root.
func Prune(root string, keep []string) error {
	list, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return diskErr(err)
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[filepath.Base(strings.TrimPrefix(k, "sha256:"))] = true
	}
	for _, de := range list {
		name := de.Name()
		if kept[name] || !(isDigestHex(name) || strings.HasPrefix(name, tempPrefix)) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, name)); err != nil {
			return diskErr(fmt.Errorf("pruning %s: %w", name, err))
		}
	}
	return nil
}

func isDigestHex(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size && strings.ToLower(s) == s
}
