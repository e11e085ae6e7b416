package gitsource

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// commitFS is a read-only fs.FS and fs.ReadLinkFS over a commit's tree,
// read straight from the object store without a worktree.
//
// Symbolic links (entries of mode 120000, whose blob is the target) are
// reported by Lstat and ReadLink and are never followed: Open and ReadDir
// refuse them. Submodules are reported as irregular files. Every file has
// the commit time as its modification time.
type commitFS struct {
	root  *object.Tree
	store storer.EncodedObjectStorer
	mtime time.Time
	// trees keeps the trees decoded so far: every lookup walks from the
	// root, and decoding a large tree once per entry below it would make
	// reading a wide directory quadratic.
	trees map[plumbing.Hash]*object.Tree
}

func newCommitFS(root *object.Tree, store storer.EncodedObjectStorer, mtime time.Time) commitFS {
	return commitFS{root: root, store: store, mtime: mtime, trees: map[plumbing.Hash]*object.Tree{}}
}

// tree returns the tree h, decoded once.
func (c commitFS) tree(h plumbing.Hash) (*object.Tree, error) {
	if t, ok := c.trees[h]; ok {
		return t, nil
	}
	t, err := object.GetTree(c.store, h)
	if err == nil && c.trees != nil {
		c.trees[h] = t
	}
	return t, err
}

var (
	_ fs.ReadLinkFS = commitFS{}
	_ fs.ReadDirFS  = commitFS{}
)

// errLink is returned for attempts to follow a symbolic link.
var errLink = errors.New("symbolic links are not followed")

// lookup finds name's entry; the root has none (nil entry, nil error).
// A name that is not in the tree is fs.ErrNotExist; an object missing from
// the repository is reported as such (plumbing.ErrObjectNotFound), since
// it means the local repository is incomplete, not the revision.
func (c commitFS) lookup(op, name string) (*object.TreeEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return nil, nil
	}
	t, parts := c.root, strings.Split(name, "/")
	for i, part := range parts {
		e, err := t.FindEntry(part)
		if err != nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if i == len(parts)-1 {
			return e, nil
		}
		if e.Mode != filemode.Dir {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if t, err = c.tree(e.Hash); err != nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
	}
	return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

// Lstat describes name without following it.
func (c commitFS) Lstat(name string) (fs.FileInfo, error) {
	e, err := c.lookup("lstat", name)
	if err != nil {
		return nil, err
	}
	return c.info(name, e)
}

func (c commitFS) info(name string, e *object.TreeEntry) (fs.FileInfo, error) {
	fi := fileInfo{name: path.Base(name), mode: fs.ModeDir | 0o755, mtime: c.mtime}
	if e == nil || e.Mode == filemode.Dir {
		return fi, nil
	}
	fi.mode = modeOf(e.Mode)
	if e.Mode == filemode.Submodule {
		return fi, nil
	}
	f, err := c.root.TreeEntryFile(e)
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	fi.size = f.Size
	return fi, nil
}

func modeOf(m filemode.FileMode) fs.FileMode {
	switch m {
	case filemode.Executable:
		return 0o755
	case filemode.Symlink:
		return fs.ModeSymlink | 0o777
	case filemode.Submodule:
		return fs.ModeIrregular
	}
	return 0o644
}

// ReadLink returns the target of the symbolic link name.
func (c commitFS) ReadLink(name string) (string, error) {
	e, err := c.lookup("readlink", name)
	if err != nil {
		return "", err
	}
	if e == nil || e.Mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	f, err := c.root.TreeEntryFile(e)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return f.Contents()
}

// ReadDir lists the directory name, sorted by file name. It reads the
// directory's tree only: an entry's size is read when its Info is asked
// for, so listing a huge directory costs no blob reads.
func (c commitFS) ReadDir(name string) ([]fs.DirEntry, error) {
	t, err := c.dir("readdir", name)
	if err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, 0, len(t.Entries))
	for _, e := range t.Entries {
		out = append(out, dirEntry{c: c, dir: name, e: e})
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// dirEntry is one entry of a tree, described without reading its blob.
type dirEntry struct {
	c   commitFS
	dir string
	e   object.TreeEntry
}

func (d dirEntry) Name() string { return d.e.Name }
func (d dirEntry) IsDir() bool  { return d.e.Mode == filemode.Dir }
func (d dirEntry) Type() fs.FileMode {
	if d.IsDir() {
		return fs.ModeDir
	}
	return modeOf(d.e.Mode).Type()
}
func (d dirEntry) Info() (fs.FileInfo, error) { return d.c.info(path.Join(d.dir, d.e.Name), &d.e) }

// dir returns the tree of directory name.
func (c commitFS) dir(op, name string) (*object.Tree, error) {
	e, err := c.lookup(op, name)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return c.root, nil
	}
	if e.Mode != filemode.Dir {
		return nil, &fs.PathError{Op: op, Path: name, Err: errors.New("not a directory")}
	}
	t, err := c.tree(e.Hash)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return t, nil
}

// Open opens a directory or regular file; symbolic links are refused.
func (c commitFS) Open(name string) (fs.File, error) {
	e, err := c.lookup("open", name)
	if err != nil {
		return nil, err
	}
	fi, err := c.info(name, e)
	if err != nil {
		return nil, err
	}
	switch {
	case fi.IsDir():
		list, err := c.ReadDir(name)
		return &dirFile{fileInfo: fi.(fileInfo), list: list}, err
	case !fi.Mode().IsRegular():
		return nil, &fs.PathError{Op: "open", Path: name, Err: errLink}
	}
	f, err := c.root.TreeEntryFile(e)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	r, err := f.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &blobFile{fileInfo: fi.(fileInfo), ReadCloser: r}, nil
}

type fileInfo struct {
	name  string
	mode  fs.FileMode
	size  int64
	mtime time.Time
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return f.mtime }
func (f fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fileInfo) Sys() any           { return nil }

type blobFile struct {
	fileInfo
	io.ReadCloser
}

func (b *blobFile) Stat() (fs.FileInfo, error) { return b.fileInfo, nil }

type dirFile struct {
	fileInfo
	list []fs.DirEntry
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.fileInfo, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}

// ReadDir returns the next n entries, or all remaining ones when n <= 0.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		out := d.list
		d.list = nil
		return out, nil
	}
	if len(d.list) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.list))
	out := d.list[:n]
	d.list = d.list[n:]
	return out, nil
}
