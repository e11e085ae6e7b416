package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source/tree"
)

// Kinds of installed paths.
const (
	KindFile = "file"
	KindDir  = "dir"
	KindLink = "link"
)

// forbidden are the trees berth never writes into: the Nix store and the
// kernel's and devices' file systems.
var forbidden = []string{"/nix", "/proc", "/sys", "/dev"}

// entry is one path of the staged files tree.
type entry struct {
	// Path is the installed path, "/etc/app/key".
	Path string
	Kind string
	// Mode is the permission bits (with setuid, setgid and sticky as
	// fs.FileMode flags) the tree carries.
	Mode fs.FileMode
	// Src is the staged file; Link is a link's target.
	Src  string
	Link string
	// Decrypt is set for an encrypted file (Src is NAME.age, Path NAME).
	Decrypt Decrypter
}

// scan walks the staged tree dir without following links and returns its
// entries, parents before children. Refused with a Stalling error naming
// the path: device files, FIFOs, sockets, links that are absolute or
// leave the tree, names with a newline, and paths under /nix, /proc, /sys
// or /dev. A missing dir is an empty tree.
func scan(dir string) ([]entry, error) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var out []entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fault.Transientf("read the files tree: %w", err)
		}
		if p == dir {
			return nil
		}
		e, err := scanOne(dir, p, d)
		if err == nil {
			out = append(out, e)
		}
		return err
	})
	return out, err
}

func scanOne(dir, p string, d fs.DirEntry) (entry, error) {
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return entry{}, fault.Transientf("files tree: %w", err)
	}
	e := entry{Path: "/" + filepath.ToSlash(rel), Src: p}
	if err := checkPath(e.Path); err != nil {
		return e, err
	}
	info, err := d.Info()
	if err != nil {
		return e, fault.Transientf("files tree: %w", err)
	}
	e.Mode = info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	switch t := info.Mode().Type(); {
	case t == 0:
		e.Kind = KindFile
	case t == fs.ModeDir:
		e.Kind = KindDir
	case t == fs.ModeSymlink:
		e.Kind = KindLink
		e.Link, err = inTreeLink(p, e.Path)
	default:
		err = fault.Stallingf("files%s: %s is not allowed (only files, directories and links inside the tree)", e.Path, typeName(t))
	}
	return e, err
}

// checkPath refuses installed paths berth must never write.
func checkPath(p string) error {
	if strings.ContainsAny(p, "\n\x00") {
		return fault.Stallingf("files%q: names must not contain a newline", p)
	}
	if path.Clean(p) != p || strings.Contains(p, "/../") {
		return fault.Stallingf("files%s: path is not clean", p)
	}
	for _, f := range forbidden {
		if p == f || strings.HasPrefix(p, f+"/") {
			return fault.Stallingf("files%s: berth never installs under %s", p, f)
		}
	}
	return nil
}

// inTreeLink reads the link at p (installed as inst) and refuses targets
// that are absolute or climb out of the tree.
func inTreeLink(p, inst string) (string, error) {
	target, err := os.Readlink(p)
	if err != nil {
		return "", fault.Transientf("files%s: %w", inst, err)
	}
	if path.IsAbs(target) {
		return "", fault.Stallingf("files%s: link to %s points outside the tree (absolute)", inst, target)
	}
	if escapes(path.Dir(inst), target) {
		return "", fault.Stallingf("files%s: link to %s points outside the tree", inst, target)
	}
	if err := checkPath(path.Join(path.Dir(inst), target)); err != nil {
		return "", fault.Stallingf("files%s: link to %s: %w", inst, target, err)
	}
	return target, nil
}

// escapes reports whether target, resolved lexically from dir (an
// installed directory), climbs above the tree's root at any step.
func escapes(dir, target string) bool {
	depth := len(strings.Split(strings.Trim(dir, "/"), "/"))
	if dir == "/" {
		depth = 0
	}
	return tree.Climbs(depth, target)
}

func typeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeDevice != 0:
		return "a device file"
	case t&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case t&fs.ModeSocket != 0:
		return "a socket"
	}
	return fmt.Sprintf("a file of type %v", t)
}
