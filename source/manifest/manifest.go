// Package manifest is the format `berth publish` writes into each host's
// SFTP chroot and the SFTP source reads back.
//
// A host's published configuration directory holds:
//
//	manifest.json        the Manifest, replaced atomically, last
//	trees/<digest hex>/  one immutable directory per published tree, in
//	                     the staged layout of source.Artifact (flake/ and
//	                     files/; see ServerPath)
//
// A tree directory appears under its final name only once complete and is
// never modified afterwards, and the manifest is switched to it only after
// that. A client that reads the manifest and then the tree it names sees
// one published configuration, never a mix of two; at worst the tree has
// been pruned meanwhile and its reads fail.
package manifest

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/berth-nix/berth/source/tree"
)

// Version is the manifest format this package writes and reads.
const Version = 1

// Name is the manifest's file name in the configuration directory, and
// TreesDir the directory holding the published trees.
const (
	Name     = "manifest.json"
	TreesDir = "trees"
)

// Manifest describes what was last published for one host: either a tree
// (Digest and Files) or a refusal (Refused), never both.
type Manifest struct {
	Version int    `json:"version"`
	Host    string `json:"host"`
	// Digest is the tree digest, "sha256:<hex>" (see tree.Tree.Digest);
	// empty when Refused is set.
	Digest string `json:"digest,omitempty"`
	// Serial grows by one with every publish for the host.
	Serial    uint64    `json:"serial"`
	Published time.Time `json:"published"`
	// Files lists every directory and file of the tree in tree order:
	// exactly the entries the digest covers.
	Files []File `json:"files"`
	// Refused says why the host's directory could not be published.
	Refused *Refusal `json:"refused,omitempty"`
}

// File is one entry of a published tree.
type File struct {
	// Path is relative to the host directory, with "/" separators.
	Path string `json:"path"`
	// Mode is "040755" (directory), "100644" or "100755" (regular file)
	// or "120000" (a link below files/, published as a link; size and
	// sha256 are its target's), as in the digest lines.
	Mode string `json:"mode"`
	// Size in bytes; 0 for directories.
	Size int64 `json:"size"`
	// SHA256 is the lowercase hex hash of the content; empty for
	// directories.
	SHA256 string `json:"sha256,omitempty"`
}

// Refusal is a host directory the publisher found bad: the agent reports
// it as a bad revision and keeps what it runs.
type Refusal struct {
	Reason string `json:"reason"`
	// NoHostDir is set when the fleet has no directory for the host.
	NoHostDir bool `json:"no_host_dir,omitempty"`
}

// Modes as the manifest spells them.
const (
	ModeDir  = "040755"
	ModeFile = "100644"
	ModeExec = "100755"
	ModeLink = "120000"
)

// ForTree describes t as published for host.
func ForTree(host string, t *tree.Tree, serial uint64, now time.Time) *Manifest {
	m := &Manifest{Version: Version, Host: host, Digest: t.Digest(), Serial: serial, Published: now.UTC()}
	m.Files = make([]File, 0, len(t.Entries))
	for _, e := range t.Entries {
		m.Files = append(m.Files, File{Path: e.Path, Mode: modeString(e.Mode), Size: e.Size, SHA256: e.SHA256})
	}
	return m
}

// ForRefusal describes a host directory that could not be published.
func ForRefusal(host string, r Refusal, serial uint64, now time.Time) *Manifest {
	return &Manifest{Version: Version, Host: host, Serial: serial, Published: now.UTC(), Files: []File{}, Refused: &r}
}

// Revision names the manifest for people and for change detection:
// "sftp@sha256:<hex>" for a tree, "sftp@refused:<serial>" for a refusal.
func (m *Manifest) Revision() string {
	if m.Refused != nil {
		return fmt.Sprintf("sftp@refused:%d", m.Serial)
	}
	return "sftp@" + m.Digest
}

// TreeDir is the tree's directory relative to the configuration
// directory; empty for a refusal.
func (m *Manifest) TreeDir() string {
	if m.Refused != nil {
		return ""
	}
	return path.Join(TreesDir, strings.TrimPrefix(m.Digest, "sha256:"))
}

// ServerPath is where the entry at p (a tree path) lives inside a tree
// directory: the staged layout, files/ as it is and everything else
// under flake/.
func ServerPath(p string) string {
	if p == "files" || strings.HasPrefix(p, "files/") {
		return p
	}
	return path.Join("flake", p)
}

// Entries returns the tree entries the manifest lists.
func (m *Manifest) Entries() []tree.Entry {
	out := make([]tree.Entry, 0, len(m.Files))
	for _, f := range m.Files {
		mode, _ := fileMode(f.Mode)
		out = append(out, tree.Entry{Path: f.Path, Mode: mode, Size: f.Size, SHA256: f.SHA256})
	}
	return out
}

func modeString(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return ModeDir
	case m&fs.ModeSymlink != 0:
		return ModeLink
	case m&0o111 != 0:
		return ModeExec
	}
	return ModeFile
}

func fileMode(s string) (fs.FileMode, bool) {
	switch s {
	case ModeDir:
		return tree.ModeDir, true
	case ModeFile:
		return tree.ModeFile, true
	case ModeExec:
		return tree.ModeExec, true
	case ModeLink:
		return tree.ModeLink, true
	}
	return 0, false
}
