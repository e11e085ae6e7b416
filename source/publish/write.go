package publish

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/berth-nix/berth/source/manifest"
	"github.com/berth-nix/berth/source/tree"
)

// stagingDir is where trees are built inside a configuration directory
// before they are renamed into trees/.
const stagingDir = ".staging"

// current reads the published manifest and the serial to continue from.
// A missing or unreadable manifest yields nil; its serial is still used
// when it can be read, so serials never go back.
func current(dir string, lim tree.Limits) (*manifest.Manifest, uint64) {
	data, err := os.ReadFile(filepath.Join(dir, manifest.Name))
	if err != nil {
		return nil, 0
	}
	if m, err := manifest.Parse(data, lim); err == nil {
		return m, m.Serial
	}
	var s struct{ Serial uint64 }
	json.Unmarshal(data, &s)
	return nil, s.Serial
}

// access is who may read published content: root, and the group of the
// configuration directory (the host's user). Nothing published is ever
// readable by others: trees carry the host's secrets.
type access struct {
	gid int
}

// accessOf returns the access for the configuration directory dir, and
// refuses a directory that others can read or enter.
func accessOf(dir string) (access, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return access{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return access{}, fmt.Errorf("%s: no ownership information", dir)
	}
	if fi.Mode().Perm()&0o007 != 0 {
		return access{}, fmt.Errorf("%s is open to every user of this server (mode %04o); it will hold the host's secrets: make it root:<host> 0750 (chmod o= %s)",
			dir, fi.Mode().Perm(), dir)
	}
	return access{gid: int(st.Gid)}, nil
}

// mode is the permission for an entry whose tree mode is m: read (and
// enter or execute) for root and the group, nothing for others.
func (a access) mode(m fs.FileMode) fs.FileMode {
	if m.IsDir() || m&0o111 != 0 {
		return 0o750
	}
	return 0o640
}

// apply gives path the access for tree mode m.
func (a access) apply(path string, m fs.FileMode) error {
	if err := os.Lchown(path, 0, a.gid); err != nil {
		return err
	}
	if m&fs.ModeSymlink != 0 {
		return nil // a link's mode means nothing, and chmod would follow it
	}
	return os.Chmod(path, a.mode(m))
}

// writeTree makes dir/trees/<hex> hold tr, complete, unless it already
// does. The tree is staged privately, given its access, and renamed in.
func writeTree(dir string, tr *tree.Tree, m *manifest.Manifest) error {
	final := filepath.Join(dir, filepath.FromSlash(m.TreeDir()))
	if _, err := os.Lstat(final); err == nil {
		if intact(dir, m) == nil {
			return nil
		}
		if err := os.RemoveAll(final); err != nil {
			return err
		}
	}
	acc, err := accessOf(dir)
	if err != nil {
		return err
	}
	staged, err := tr.Stage(filepath.Join(dir, stagingDir))
	if err != nil {
		return err
	}
	if err := filepath.WalkDir(staged, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return acc.apply(p, info.Mode())
	}); err != nil {
		return err
	}
	trees := filepath.Join(dir, manifest.TreesDir)
	if err := os.MkdirAll(trees, 0o755); err != nil {
		return err
	}
	if err := acc.apply(trees, fs.ModeDir); err != nil {
		return err
	}
	if err := os.Rename(staged, final); err != nil {
		return err
	}
	return syncDir(trees)
}

// writeManifest replaces dir/manifest.json with m, then its parts file
// (manifest.PartsName), then the revision file agents poll: each a
// temporary file with the final access, synced, renamed over the old one,
// the directory synced. The revision file comes last, so an agent that
// sees a new revision finds its manifest.
func writeManifest(dir string, m *manifest.Manifest) error {
	data, err := m.Encode()
	if err != nil {
		return err
	}
	acc, err := accessOf(dir)
	if err != nil {
		return err
	}
	err = writeFileAs(filepath.Join(dir, manifest.Name), data, acc)
	if err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, manifest.Name), err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	p := filepath.Join(dir, manifest.PartsName)
	if err := writeFileAs(p, manifest.PartsFile(data), acc); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return writeRevision(dir, m, acc)
}

func writeRevision(dir string, m *manifest.Manifest, acc access) error {
	p := filepath.Join(dir, manifest.RevisionName)
	if err := writeFileAs(p, manifest.RevisionFile(m), acc); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return syncDir(dir)
}

// repairRevision rewrites the revision file when it does not match the
// published manifest m, as after a publish that stopped between the two.
func repairRevision(dir string, m *manifest.Manifest) error {
	got, err := os.ReadFile(filepath.Join(dir, manifest.RevisionName))
	if err == nil && bytes.Equal(got, manifest.RevisionFile(m)) {
		return nil
	}
	acc, err := accessOf(dir)
	if err != nil {
		return err
	}
	return writeRevision(dir, m, acc)
}

// intact checks that the published tree of m is all there, every file
// with its size and hash.
func intact(dir string, m *manifest.Manifest) error {
	root := filepath.Join(dir, filepath.FromSlash(m.TreeDir()))
	for _, f := range m.Files {
		p := filepath.Join(root, filepath.FromSlash(manifest.ServerPath(f.Path)))
		if f.Mode == manifest.ModeDir {
			if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
				return fmt.Errorf("%s: not a directory", p)
			}
			continue
		}
		if f.Mode == manifest.ModeLink {
			if err := sameLink(p, f); err != nil {
				return err
			}
			continue
		}
		if err := sameFile(p, f); err != nil {
			return err
		}
	}
	return nil
}

func sameLink(p string, f manifest.File) error {
	target, err := os.Readlink(p)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(target))
	if int64(len(target)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
		return fmt.Errorf("%s: link target differs from the manifest", p)
	}
	return nil
}

func sameFile(p string, f manifest.File) error {
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(in, f.Size+1))
	if err != nil {
		return err
	}
	if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("%s: content differs from the manifest", p)
	}
	return nil
}

// prune removes the published trees other than m's and prev's (an agent
// may still be downloading the previous one) and any staging leftovers.
func prune(dir string, m, prev *manifest.Manifest) error {
	keep := map[string]bool{filepath.Base(m.TreeDir()): true}
	if prev != nil && prev.Refused == nil {
		keep[filepath.Base(prev.TreeDir())] = true
	}
	trees := filepath.Join(dir, manifest.TreesDir)
	list, err := os.ReadDir(trees)
	if err != nil {
		return err
	}
	for _, de := range list {
		if keep[de.Name()] || !isHex(de.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(trees, de.Name())); err != nil {
			return err
		}
	}
	return os.RemoveAll(filepath.Join(dir, stagingDir))
}

func isHex(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size && strings.ToLower(s) == s
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
