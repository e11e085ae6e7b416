// Package sftpsource is the SFTP backend of source: the host logs in to
// its own chrooted account on an SFTP server and reads what `berth
// publish` wrote there (see source/manifest for the layout).
//
// Poll reads the manifest and nothing else. Fetch reads it again,
// downloads only the files the local copy of the last fetched tree does
// not already hold, checks every file and the whole tree against the
// manifest, and stages the result with source/tree. A publish in
// progress, a dropped connection or a truncated file never yields an
// artifact: Fetch fails with a Transient error and the next try starts
// afresh.
package sftpsource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
	"github.com/berth-nix/berth/source/manifest"
	"github.com/berth-nix/berth/source/tree"
	"github.com/berth-nix/berth/source/verify"
)

// Source follows one host's published configuration on an SFTP server.
type Source struct {
	cfg Config
	// mu serialises use of StateDir.
	mu sync.Mutex
	// parked is the session kept open for the next operation (reuse.go).
	parked parking
}

var _ source.Source = (*Source)(nil)

// New checks cfg and returns a Source for it. It touches no network; it
// reads the allowed_signers file, when one is set, so that a signing
// policy that cannot work fails at start-up.
func New(cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.AllowedSigners != "" {
		if _, err := verify.LoadAllowedSigners(cfg.AllowedSigners); err != nil {
			return nil, fmt.Errorf("sftp signing policy: %w", err)
		}
	}
	return &Source{cfg: cfg.withDefaults()}, nil
}

// String describes the source without secrets.
func (s *Source) String() string { return s.cfg.String() }

// Poll returns the published revision: "sftp@sha256:<hex>" for a
// published tree, "sftp@refused:<serial>" when the publisher refused the
// host's directory. It reads the revision file publish writes beside the
// manifest (a few bytes, whatever the tree's size), or the manifest when
// there is no usable revision file. With no manifest it is a Stalling
// error wrapping tree.ErrNoHostDir; a malformed manifest is Stalling;
// network failures are Transient. Fetch checks the manifest itself, its
// host and signature included.
func (s *Source) Poll(ctx context.Context) (string, error) {
	var rev string
	err := s.withSession(ctx, func(ss *session) error {
		if r, ok := s.readRevision(ss); ok {
			rev = r
			return nil
		}
		m, err := s.readManifest(ctx, ss)
		if err == nil {
			rev = m.Revision()
		}
		return err
	})
	return rev, err
}

// Probe is Poll, which opens a connection of its own every time.
func (s *Source) Probe(ctx context.Context) error {
	_, err := s.Poll(ctx)
	return err
}

// readRevision reads the small revision file publish writes beside the
// manifest, so that a poll transfers a few bytes whatever the tree's size.
// It answers false when the file is missing, unreadable or malformed
// (e.g. an older publisher): the caller reads the manifest instead.
func (s *Source) readRevision(ss *session) (string, bool) {
	data, err := s.readSmall(ss, s.cfg.remote(manifest.RevisionName), manifest.MaxRevisionSize)
	if err != nil {
		return "", false
	}
	return manifest.ParseRevisionFile(data)
}

// Fetch reads the manifest, downloads the tree it names, verifies it and
// stages it. A refused host directory is a Stalling error carrying the
// publisher's reason (wrapping tree.ErrNoHostDir when the fleet has no
// directory for the host). Every network or verification failure while
// downloading is Transient and leaves nothing behind but the cache of the
// last complete fetch.
func (s *Source) Fetch(ctx context.Context) (source.Artifact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a source.Artifact
	err := s.withSession(ctx, func(ss *session) error {
		m, err := s.readManifest(ctx, ss)
		var signer string
		if err == nil {
			signer, err = s.checkSigned(ctx, ss, m)
		}
		if err == nil {
			a, err = s.fetchTree(ctx, ss, m)
			a.Signer = signer
		}
		return err
	})
	return a, err
}

// readManifest reads and checks the manifest.
func (s *Source) readManifest(ctx context.Context, ss *session) (*manifest.Manifest, error) {
	name := s.cfg.remote(manifest.Name)
	if data, ok := s.readByParts(ss, name); ok {
		return s.checkManifest(name, data)
	}
	data, err := s.readSmall(ss, name, manifest.MaxSize+1)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fault.Stallingf("sftp source: %w: nothing published for host %s at %s:%s (run berth publish)",
			tree.ErrNoHostDir, s.cfg.Host, s.cfg.Address, name)
	case err != nil:
		return nil, s.netErr(ctx, "read "+name+" from", err, ss.conn)
	case len(data) > manifest.MaxSize:
		return nil, fault.Stallingf("sftp source: %s: larger than %d bytes", name, manifest.MaxSize)
	}
	return s.checkManifest(name, data)
}

func (s *Source) checkManifest(name string, data []byte) (*manifest.Manifest, error) {
	m, err := manifest.Parse(data, s.cfg.Limits)
	if err != nil {
		return nil, fault.Stallingf("sftp source: %s: %w", name, err)
	}
	if m.Host != s.cfg.Host {
		return nil, fault.Stallingf("sftp source: %s: published for host %q, this is %q (published into the wrong chroot?)", name, m.Host, s.cfg.Host)
	}
	return m, nil
}

// refusal is the error for a manifest that carries the publisher's
// refusal of the host directory.
func refusal(m *manifest.Manifest) error {
	if m.Refused.NoHostDir {
		return fault.Stallingf("sftp source: %s: %w: %s", m.Revision(), tree.ErrNoHostDir, m.Refused.Reason)
	}
	return fault.Stallingf("sftp source: %s: the publisher refused the host directory: %s", m.Revision(), m.Refused.Reason)
}

// fetchTree downloads, verifies and stages the tree m names.
func (s *Source) fetchTree(ctx context.Context, ss *session, m *manifest.Manifest) (source.Artifact, error) {
	if m.Refused != nil {
		return source.Artifact{}, refusal(m)
	}
	dir, err := s.download(ctx, ss, m)
	source.ReturnMemory()
	if err != nil {
		return source.Artifact{}, err
	}
	defer os.RemoveAll(dir)
	tr, err := s.verify(dir, m)
	if err != nil {
		return source.Artifact{}, err
	}
	staged, err := tr.Stage(s.cfg.StageDir)
	if err != nil {
		return source.Artifact{}, fmt.Errorf("sftp source: %w", err)
	}
	if err := s.keep(dir); err != nil {
		return source.Artifact{}, err
	}
	return source.Artifact{
		Host: s.cfg.Host, Revision: m.Revision(), Digest: m.Digest,
		Path: staged, Size: tr.Size(), LastUpdateTime: m.Published,
	}, nil
}
