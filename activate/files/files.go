// Package files installs a host's verbatim files tree — the files/
// subtree of its host directory — under a root directory, as one part of
// an activation transaction.
//
// The tree is copied byte for byte; owners, groups and modes come from
// the tree and from the host's files.yaml (see Attrs). berth keeps a
// manifest of the paths it installed: a path that leaves the tree is
// removed, and a path berth did not install is never overwritten unless
// files.yaml declares `replace: true` for it.
//
// A transaction is Plan (decide everything, refuse bad trees; nothing is
// written), Install (save what is about to be replaced into a backup kept
// under the attempt's id, then write), and then either Commit (record the
// new manifest, drop the backup) or Restore (put every touched path back
// as it was, including removing paths that did not exist). The backup is
// on disk before the first change, so Restore works after a crash too, and
// Recover restores backups that no transaction finished.
//
// File contents are never logged, never put in the manifest and never
// hashed into it; the backup holds previous contents in a root-only
// directory of the agent's state.
package files

import (
	"path/filepath"
)

// Installer installs files trees under Root and keeps its manifest and
// backups in StateDir.
type Installer struct {
	// Root is "/" on a real host.
	Root string
	// StateDir holds manifest.json and backup/<attempt id>/; mode 0700.
	StateDir string
	// Decrypt opens the tree's encrypted files (NAME.age); with none, a
	// tree that has one is refused.
	Decrypt Decrypter
	// RequireEncrypted lists installed paths (and everything below them)
	// or path.Match patterns where a plaintext file is refused.
	RequireEncrypted []string
}

func (in *Installer) manifestPath() string { return filepath.Join(in.StateDir, "manifest.json") }

func (in *Installer) backupRoot() string { return filepath.Join(in.StateDir, "backup") }

func (in *Installer) backupDir(id string) string { return filepath.Join(in.backupRoot(), id) }

// Manifest returns the manifest of what is installed now.
func (in *Installer) Manifest() (Manifest, error) { return loadManifest(in.manifestPath()) }
