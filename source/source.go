// Package source fetches a host's configuration from where the admin keeps
// it and hands it over as an immutable Artifact.
//
// Backends live in sub-packages (source/git, source/sftp); source/tree
// resolves, digests and stages a host directory for all of them.
package source

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Artifact is one fetched host configuration, staged on local disk.
//
// Path is a directory laid out as:
//
//	Path/flake/   the host directory without its files/ subtree; symlinks
//	              that stayed inside the repository are resolved to copies
//	Path/files/   the host's verbatim files tree, if it has one; never
//	              handed to Nix
//
// Digest covers every file under Path: it is the tree digest of the
// resolved host directory (see source/tree). Two artifacts with the same
// Digest are the same configuration, whatever their revisions.
type Artifact struct {
	// Host is the host name the directory was selected for.
	Host string
	// Revision names where the artifact came from, for people:
	// "main@sha1:<hash>" for git, "sftp@sha256:<hex>" for SFTP.
	Revision string
	// Commit is the git commit hash; empty for sources without history.
	Commit string
	// Digest is "sha256:<hex>" over the resolved host tree.
	Digest string
	// Path is the staged directory; callers must not modify it.
	Path string
	// Size is the total size in bytes of the regular files under Path.
	Size int64
	// LastUpdateTime is when the revision was made (commit time, or the
	// publish time of an SFTP manifest).
	LastUpdateTime time.Time
	// Signer is the identity whose signature over the revision was
	// verified (see source/verify); empty when no signature is required.
	Signer string
	// Policy is the fleet's staged-rollout policy (rollout.yaml at the
	// root of the repository) at this revision; nil when there is none.
	Policy []byte
}

// FlakeDir is the staged flake directory.
func (a Artifact) FlakeDir() string { return a.Path + "/flake" }

// FilesDir is the staged verbatim files tree; it may not exist.
func (a Artifact) FilesDir() string { return a.Path + "/files" }

// Source is where a host's configuration comes from.
type Source interface {
	// Poll learns the remote's current revision in one round trip without
	// downloading content. Its result is compared with the last revision
	// seen to skip Fetch when nothing changed.
	Poll(ctx context.Context) (string, error)
	// Fetch downloads the remote's current state, selects this host's
	// directory and stages it; the Artifact's Revision is what Poll would
	// have answered at that moment.
	Fetch(ctx context.Context) (Artifact, error)
}

// Prober is a Source that can check, on a connection of its own, that
// its server still answers with this host's credentials. A connection
// kept idle from earlier would skip name resolution and the firewall's
// verdict on a new connection: what a switch may have broken.
type Prober interface {
	Probe(ctx context.Context) error
}

// Probe probes src when it is a Prober, and polls it otherwise.
func Probe(ctx context.Context, src Source) error {
	if p, ok := src.(Prober); ok {
		return p.Probe(ctx)
	}
	_, err := src.Poll(ctx)
	return err
}

// CheckLocal checks what the agent gives every source besides its own
// settings: the host's name and the directories it keeps state in and
// stages artifacts in, which must be absolute.
func CheckLocal(host, stateDir, stageDir string) error {
	if host == "" {
		return errors.New("host: missing")
	}
	for _, d := range []struct{ name, path string }{{"state dir", stateDir}, {"stage dir", stageDir}} {
		if !filepath.IsAbs(d.path) {
			return fmt.Errorf("%s %q: want an absolute path", d.name, d.path)
		}
	}
	return nil
}
