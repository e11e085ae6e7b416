package tree

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/berth-nix/berth/internal/fault"
)

// Resolve walks hostDir (a slash path relative to the root of fsys, the
// repository root) and returns its resolved Tree.
//
// Symbolic links are followed, to files or directories, as long as their
// targets are relative and stay inside the repository; the entries they
// lead to appear under the link's path. Refused, each with a Stalling error
// naming the offending path: links that escape the repository or are
// absolute, cycles of links or of directories, device files, FIFOs,
// sockets and other irregular files, names that are not valid UTF-8 or
// contain a newline, a top-level "files" that is not a directory, and
// trees over lim. A missing host directory is a Stalling error wrapping
// ErrNoHostDir. Failures to read fsys are Transient.
func Resolve(fsys fs.ReadLinkFS, hostDir string, lim Limits) (*Tree, error) {
	w := &walker{
		resolver: resolver{fsys: fsys},
		lim:      lim.withDefaults(),
		host:     hostDir,
		sums:     map[string]string{},
	}
	root, err := w.hostRoot(hostDir)
	if err != nil {
		return nil, err
	}
	if err := w.dir("", root, 0, []string{root}); err != nil {
		return nil, err
	}
	if err := w.checkLayout(); err != nil {
		return nil, err
	}
	slices.SortFunc(w.entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return &Tree{Entries: w.entries, fsys: fsys}, nil
}

type walker struct {
	resolver
	lim     Limits
	host    string
	entries []Entry
	bytes   int64
	// sums caches content hashes by canonical path: a file reachable by
	// several links is read once.
	sums map[string]string
}

// hostRoot returns the canonical path of the host directory.
func (w *walker) hostRoot(hostDir string) (string, error) {
	if !fs.ValidPath(hostDir) || hostDir == "." {
		return "", fault.Stallingf("host directory %q: not a relative slash path inside the repository", hostDir)
	}
	root, info, err := w.canonical(hostDir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fault.Stallingf("%w: %s (%v)", ErrNoHostDir, hostDir, err)
	}
	if err != nil {
		return "", fmt.Errorf("host directory %s: %w", hostDir, err)
	}
	if !info.IsDir() {
		return "", fault.Stallingf("%w: %s is not a directory", ErrNoHostDir, hostDir)
	}
	return root, nil
}

// dir adds the entries below the canonical directory real, which appears
// at rel (relative to the host directory) at the given depth. ancestors
// are the canonical directories being walked, to detect cycles.
func (w *walker) dir(rel, real string, depth int, ancestors []string) error {
	list, err := fs.ReadDir(w.fsys, orRoot(real))
	if err != nil {
		return fault.AsTransient(err)
	}
	// Refuse a directory that alone goes over the limit before looking at
	// any of its entries: each costs a lookup, and a hostile tree can
	// list millions.
	if len(w.entries)+len(list) > w.lim.MaxFiles {
		return fault.Stallingf("%s: more than %d files and directories (%s alone lists %d)", w.host, w.lim.MaxFiles, w.show(rel), len(list))
	}
	for _, de := range list {
		if err := w.child(rel, real, de.Name(), depth+1, ancestors); err != nil {
			return err
		}
	}
	return nil
}

// child resolves and adds one directory entry and what lies below it.
func (w *walker) child(rel, real, name string, depth int, ancestors []string) error {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		// Only a crafted git tree holds such a name; joined to a path it
		// would name another entry.
		return fault.Stallingf("%s/%s: an entry named %q is not allowed", w.show(rel), name, name)
	}
	p := path.Join(rel, name)
	if err := w.admit(p, depth); err != nil {
		return err
	}
	if strings.HasPrefix(p, "files/") {
		if keep, err := w.filesLink(p, path.Join(real, name)); keep || err != nil {
			return err
		}
	}
	target, info, err := w.canonical(path.Join(real, name))
	if err != nil {
		return fmt.Errorf("%s: %w", w.show(p), err)
	}
	switch {
	case info.IsDir():
		if a := cycle(target, ancestors); a != "" {
			return fault.Stallingf("%s: directory cycle: leads back to %s", w.show(p), orRoot(a))
		}
		w.entries = append(w.entries, Entry{Path: p, Mode: ModeDir})
		return w.dir(p, target, depth, append(ancestors[:len(ancestors):len(ancestors)], target))
	case info.Mode().IsRegular():
		return w.file(p, target, info)
	}
	return fault.Stallingf("%s: %s is not a regular file or directory (mode %s)", w.show(p), orRoot(target), info.Mode().Type())
}

// filesLink adds the entry at p, below files/, as a link when the
// canonical path src is one (keep reports that it did). Such links are
// installed as links, so they are not followed; one whose target leaves
// files/ is refused.
func (w *walker) filesLink(p, src string) (keep bool, err error) {
	fi, err := w.fsys.Lstat(src)
	if err != nil {
		return false, fmt.Errorf("%s: %w", w.show(p), missing(src, err))
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return false, nil
	}
	target, err := w.fsys.ReadLink(src)
	if err != nil {
		return false, fault.AsTransient(err)
	}
	if err := checkTarget(w.show(p), target); err != nil {
		return false, err
	}
	if leavesFiles(path.Dir(p), target) {
		return false, fault.Stallingf("%s: symlink to %s leaves files/; links in files/ are installed as links and must point inside it", w.show(p), target)
	}
	if w.bytes += int64(len(target)); w.bytes > w.lim.MaxBytes {
		return false, fault.Stallingf("%s: files larger than %d bytes in total", w.host, w.lim.MaxBytes)
	}
	sum := sha256.Sum256([]byte(target))
	w.entries = append(w.entries, Entry{Path: p, Mode: ModeLink, Size: int64(len(target)), SHA256: hex.EncodeToString(sum[:]), Link: target})
	return true, nil
}

// leavesFiles reports whether target, followed from dir (a path below
// the host directory, inside files/) without looking at the tree, climbs
// above files/ at any step.
func leavesFiles(dir, target string) bool {
	return Climbs(strings.Count(dir, "/"), target) // "files" is 0 deep, "files/etc" 1
}

// Climbs reports whether the relative link target, followed by its names
// alone from a directory depth levels below a root, climbs above that
// root at any step.
func Climbs(depth int, target string) bool {
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// admit checks the name and the entry and depth limits for p.
func (w *walker) admit(p string, depth int) error {
	if !utf8.ValidString(p) || strings.ContainsAny(p, "\n") {
		return fault.Stallingf("%q: names must be valid UTF-8 without newlines", w.show(p))
	}
	if depth > w.lim.MaxDepth {
		return fault.Stallingf("%s: deeper than %d levels below the host directory", w.show(p), w.lim.MaxDepth)
	}
	if len(w.entries) >= w.lim.MaxFiles {
		return fault.Stallingf("%s: more than %d files and directories", w.host, w.lim.MaxFiles)
	}
	return nil
}

// file adds the regular file at canonical path src, shown at p.
func (w *walker) file(p, src string, info fs.FileInfo) error {
	if w.bytes += info.Size(); w.bytes > w.lim.MaxBytes {
		return fault.Stallingf("%s: files larger than %d bytes in total", w.host, w.lim.MaxBytes)
	}
	sum, err := w.sum(src, info.Size())
	if err != nil {
		return fmt.Errorf("%s: %w", w.show(p), err)
	}
	mode := ModeFile
	if info.Mode()&0o111 != 0 {
		mode = ModeExec
	}
	w.entries = append(w.entries, Entry{Path: p, Mode: mode, Size: info.Size(), SHA256: sum, src: src})
	return nil
}

// sum returns the hex SHA-256 of the file at src, which must be size bytes
// long.
func (w *walker) sum(src string, size int64) (string, error) {
	if s, ok := w.sums[src]; ok {
		return s, nil
	}
	f, err := w.fsys.Open(src)
	if err != nil {
		return "", fault.AsTransient(err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, size+1))
	if err != nil {
		return "", fault.AsTransient(err)
	}
	if n != size {
		return "", fault.Transientf("%s changed while being read (%d bytes, expected %d)", src, n, size)
	}
	s := hex.EncodeToString(h.Sum(nil))
	w.sums[src] = s
	return s, nil
}

// checkLayout refuses a top-level "files" that is not a directory: the
// staged layout reserves that name for the verbatim files tree.
func (w *walker) checkLayout() error {
	for _, e := range w.entries {
		if e.Path == "files" && !e.Mode.IsDir() {
			return fault.Stallingf("%s: must be a directory (the host's verbatim files tree)", w.show("files"))
		}
	}
	return nil
}

// show names p for people: its path from the repository root.
func (w *walker) show(p string) string { return path.Join(w.host, p) }

// cycle returns the ancestor that walking dir would reach again: one that
// is dir itself or lies below it. It returns "" when there is none; the
// repository root is reported as ".".
func cycle(dir string, ancestors []string) string {
	for _, a := range ancestors {
		if a == dir || dir == "" || strings.HasPrefix(a, dir+"/") {
			return orRoot(a)
		}
	}
	return ""
}
