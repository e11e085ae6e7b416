// Package tree resolves, digests and stages one host directory of a
// configuration repository, whatever backend delivered the repository.
//
// Resolve walks the host directory through an fs.FS that can read symbolic
// links, follows the links that stay inside the repository, refuses
// everything else, and returns a Tree: a sorted list of directories and
// regular files with their content hashes. Digest names that list, and
// Stage writes it to local disk in the layout source.Artifact documents.
package tree

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// ErrNoHostDir is wrapped by the error Resolve returns when the host
// directory does not exist in the repository.
var ErrNoHostDir = errors.New("host directory not found")

// Default limits, used for every zero field of Limits.
const (
	DefaultMaxFiles = 100_000
	DefaultMaxBytes = 1 << 30
	DefaultMaxDepth = 64
)

// Limits bounds what Resolve accepts, so that a hostile or mistaken
// revision cannot exhaust the host's disk or memory. Zero fields take the
// defaults.
type Limits struct {
	// MaxFiles is the most entries (files and directories) a tree may hold.
	MaxFiles int
	// MaxBytes is the most bytes all regular files may hold together,
	// counting a file once for every path it is reachable by.
	MaxBytes int64
	// MaxDepth is the most path components below the host directory.
	MaxDepth int
}

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Modes of the entries of a Tree: symbolic links are resolved, so an
// entry is a directory, a regular file or an executable regular file —
// except below the top-level files/, whose links are kept as links
// (ModeLink) so that they are installed as links.
const (
	ModeDir  = fs.ModeDir | 0o755
	ModeFile = fs.FileMode(0o644)
	ModeExec = fs.FileMode(0o755)
	ModeLink = fs.ModeSymlink | 0o777
)

// Entry is one directory or regular file of a resolved host directory.
type Entry struct {
	// Path is relative to the host directory, with "/" separators.
	Path string
	// Mode is ModeDir, ModeFile, ModeExec or ModeLink.
	Mode fs.FileMode
	// Size is the file's length in bytes (a link's: its target's); 0 for
	// directories.
	Size int64
	// SHA256 is the hex SHA-256 of the file's content (a link's: its
	// target's, as git hashes links); empty for directories.
	SHA256 string
	// Link is a link's target; empty for other entries.
	Link string

	// src is where the content lives in the resolved file system.
	src string
}

// Tree is a resolved host directory: its entries sorted by Path (as byte
// strings), the host directory itself excluded.
type Tree struct {
	Entries []Entry

	fsys fs.FS
}

// Line is the digest line of e:
//
//	"<path> <mode> <size> <sha256>\n"
//
// where mode is the Unix st_mode as six octal digits: "100644" for a
// regular file, "100755" for an executable one, "040755" for a
// directory, "120000" for a link (size and sha256 are its target's);
// size is decimal ("0" for directories) and
// sha256 is lowercase hex ("-" for directories). Paths never contain a
// newline, so the format is unambiguous read from the right.
func (e Entry) Line() string {
	mode, sum := "100644", e.SHA256
	switch {
	case e.Mode.IsDir():
		mode, sum = "040755", "-"
	case e.Mode&fs.ModeSymlink != 0:
		mode = "120000"
	case e.Mode&0o111 != 0:
		mode = "100755"
	}
	return fmt.Sprintf("%s %s %d %s\n", e.Path, mode, e.Size, sum)
}

// Digest is "sha256:<hex>" of the concatenated Line of every entry in
// Path order. The SFTP source and `berth publish` compute the same value
// from the same tree, so equal digests mean equal configurations.
func (t *Tree) Digest() string {
	h := sha256.New()
	for _, e := range t.Entries {
		h.Write([]byte(e.Line()))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Size is the total size in bytes of the tree's regular files.
func (t *Tree) Size() int64 {
	var n int64
	for _, e := range t.Entries {
		n += e.Size
	}
	return n
}

// digestHex is the digest without its "sha256:" prefix.
func (t *Tree) digestHex() string {
	return strings.TrimPrefix(t.Digest(), "sha256:")
}
