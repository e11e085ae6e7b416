package tree

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/berth-nix/berth/internal/fault"
)

// maxLinkHops bounds how many symbolic links one path may pass through,
// as the kernel's ELOOP limit does; more means a cycle of links.
const maxLinkHops = 40

// resolver turns repository paths into canonical ones: paths that pass
// through no symbolic link, so that opening them in fsys cannot leave the
// repository even when fsys itself would follow links.
type resolver struct {
	fsys fs.ReadLinkFS
}

// canonical resolves every symbolic link in name, a slash path relative
// to the repository root, and returns the canonical path ("" for the root)
// with the Lstat information of what it names. Link targets are resolved
// against the link's directory; absolute targets, targets that climb above
// the root and chains longer than maxLinkHops are refused.
func (r resolver) canonical(name string) (string, fs.FileInfo, error) {
	done, rest := "", splitPath(name)
	hops, link := 0, ""
	var info fs.FileInfo
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case ".":
			continue
		case "..":
			if done == "" {
				return "", nil, escapes(link)
			}
			done = parent(done)
			info = nil
			continue
		}
		cand := path.Join(done, c)
		fi, err := r.fsys.Lstat(orRoot(cand))
		if err != nil {
			return "", nil, missing(cand, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if len(rest) > 0 && !fi.IsDir() {
				return "", nil, fault.Stallingf("%s is not a directory", cand)
			}
			done, info = cand, fi
			continue
		}
		if hops++; hops > maxLinkHops {
			return "", nil, fault.Stallingf("symlink cycle: more than %d links followed, the last %s", maxLinkHops, cand)
		}
		target, err := r.fsys.ReadLink(cand)
		if err != nil {
			return "", nil, fault.AsTransient(err)
		}
		if err := checkTarget(cand, target); err != nil {
			return "", nil, err
		}
		link = cand + " -> " + target
		rest = append(splitPath(target), rest...)
	}
	if info == nil {
		fi, err := r.fsys.Lstat(orRoot(done))
		if err != nil {
			return "", nil, missing(done, err)
		}
		info = fi
	}
	return done, info, nil
}

// checkTarget refuses link targets that are absolute, empty, or not valid
// UTF-8 without newlines (the digest format is line-based, and fs.FS
// paths are UTF-8).
func checkTarget(link, target string) error {
	if target == "" || strings.HasPrefix(target, "/") {
		return fault.Stallingf("symlink %s -> %q: absolute or empty targets are refused", link, target)
	}
	if !utf8.ValidString(target) || strings.ContainsAny(target, "\n\x00") {
		return fault.Stallingf("symlink %s -> %q: targets must be valid UTF-8 without newlines", link, target)
	}
	return nil
}

// escapes is the error for a path that climbs above the repository root,
// naming the last symbolic link followed, which is what sent it there.
func escapes(link string) error {
	if link == "" {
		return fault.Stallingf("path climbs above the repository root")
	}
	return fault.Stallingf("symlink %s escapes the repository root", link)
}

// missing classifies a failed Lstat: a name that does not exist, is too
// long, or runs through a file or a loop comes from the revision's
// content; anything else is the file system's.
func missing(at string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fault.Stallingf("%s: %w", orRoot(at), fs.ErrNotExist)
	case errors.Is(err, syscall.ENAMETOOLONG), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ELOOP):
		return fault.Stallingf("%s: %w", orRoot(at), err)
	}
	return fault.AsTransient(err)
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func parent(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}

// orRoot maps the canonical root "" to fs.FS's name for it.
func orRoot(p string) string {
	if p == "" {
		return "."
	}
	return p
}
