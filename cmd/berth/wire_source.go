package main

import (
	"path/filepath"

	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/source"
	sftpsource "github.com/berth-nix/berth/source/sftp"
)

// describedSource is a source that describes itself without secrets.
type describedSource interface {
	source.Source
	String() string
}

// newSource builds the configured source, and its lineage when its
// revisions form a history (git only).
func newSource(c *config.Config) (describedSource, reconciler.Lineage, error) {
	if c.Source.SFTP != nil {
		s, err := newSFTPSource(c)
		if err != nil {
			return nil, nil, err
		}
		return s, nil, nil
	}
	s, err := newGitSource(c)
	if err != nil {
		return nil, nil, err
	}
	return s, s, nil
}

func newSFTPSource(c *config.Config) (*sftpsource.Source, error) {
	return sftpsource.New(c.Source.SFTP.Apply(sftpsource.Config{
		Host:     c.Hostname,
		StateDir: filepath.Join(c.StateDir, "sftp"), StageDir: filepath.Join(c.StateDir, "stage"),
		Timeout: c.Source.Timeout, Limits: c.Source.Limits(),
		AllowedSigners: c.Trust.SFTP.AllowedSigners,
	}))
}

// allowRewrite is source.git.allow_history_rewrite, false for other
// sources.
func allowRewrite(c *config.Config) bool {
	return c.Source.Git != nil && c.Source.Git.AllowHistoryRewrite
}
