package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// loc is one installed path, held as its parent directory (opened by
// walking down from the root one name at a time, never following a
// symbolic link) and its last name. Every read and change of the path
// goes through the held directory with *at calls that do not follow a
// link at the last name either, so swapping a directory on the way for a
// link after planning cannot send a write, chmod or chown elsewhere: the
// walk fails instead (ELOOP or ENOTDIR).
type loc struct {
	dir  *os.File
	name string
	path string // the installed path, for errors
}

// errOnTheWay wraps errors of the walk to p's parent.
var errOnTheWay = errors.New("not a directory berth may walk through")

// locate opens the parent directory of the installed path p.
func (in *Installer) locate(p string) (*loc, error) {
	fd, err := unix.Open(in.Root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: in.Root, Err: err}
	}
	dir, name := path.Split(p)
	walked := ""
	for _, c := range strings.Split(strings.Trim(dir, "/"), "/") {
		if c == "" {
			continue
		}
		walked += "/" + c
		next, err := unix.Openat(fd, c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return nil, walkError(walked, err)
		}
		fd = next
	}
	return &loc{dir: os.NewFile(uintptr(fd), dir), name: name, path: p}, nil
}

func walkError(p string, err error) error {
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		return fmt.Errorf("%s: %w (a symbolic link or file now; berth follows no links on the way to an installed path): %w", p, errOnTheWay, err)
	}
	return &fs.PathError{Op: "open", Path: p, Err: err}
}

func (l *loc) close() { l.dir.Close() }

func (l *loc) fd() int { return int(l.dir.Fd()) }

func (l *loc) pathErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &fs.PathError{Op: op, Path: l.path, Err: err}
}

// lstat describes the path itself (a link is not followed); ok is false
// when nothing is there.
func (l *loc) lstat() (fs.FileInfo, bool, error) {
	fd, err := unix.Openat(l.fd(), l.name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, l.pathErr("lstat", err)
	}
	f := os.NewFile(uintptr(fd), l.path)
	defer f.Close()
	fi, err := f.Stat()
	return fi, err == nil, err
}

func (l *loc) readlink() (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(l.fd(), l.name, buf)
	if err != nil {
		return "", l.pathErr("readlink", err)
	}
	return string(buf[:n]), nil
}

// openFile opens the path for reading when it is a regular file; a link,
// FIFO or anything else there is an error, and opening never blocks.
func (l *loc) openFile() (*os.File, error) {
	fd, err := unix.Openat(l.fd(), l.name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, l.pathErr("open", err)
	}
	f := os.NewFile(uintptr(fd), l.path)
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, l.pathErr("open", errors.Join(err, errors.New("not a regular file")))
	}
	return f, nil
}

// openDir opens the path when it is a directory (not a link to one).
func (l *loc) openDir() (*os.File, error) {
	fd, err := unix.Openat(l.fd(), l.name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, l.pathErr("open", err)
	}
	return os.NewFile(uintptr(fd), l.path), nil
}

// remove removes the file, link or empty directory at the path and syncs
// the parent.
func (l *loc) remove() error {
	err := unix.Unlinkat(l.fd(), l.name, 0)
	if errors.Is(err, unix.EISDIR) {
		err = unix.Unlinkat(l.fd(), l.name, unix.AT_REMOVEDIR)
	}
	if err != nil {
		return l.pathErr("remove", err)
	}
	return l.dir.Sync()
}

// tempName is the fixed temporary name beside the path, so a crash
// leaves at most one stray file per path, replaced by the next attempt.
func (l *loc) tempName() string { return "." + l.name + ".berth-new" }

func (l *loc) removeTemp() { unix.Unlinkat(l.fd(), l.tempName(), 0) }

// replaceWithTemp renames the temporary name over the path and syncs the
// parent.
func (l *loc) replaceWithTemp() error {
	if err := unix.Renameat(l.fd(), l.tempName(), l.fd(), l.name); err != nil {
		l.removeTemp()
		return l.pathErr("rename", err)
	}
	return l.dir.Sync()
}
