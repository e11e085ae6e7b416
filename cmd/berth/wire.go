package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/health"
	"github.com/berth-nix/berth/nixos"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/hubclient"
	gitsource "github.com/berth-nix/berth/source/git"
)

// deps is the agent assembled from its configuration.
type deps struct {
	rec      *reconciler.Reconciler
	act      *activate.Activator
	sd       *nixos.Systemd
	hub      *hubclient.Client
	describe string
}

func (d *deps) Close() {
	if d.sd != nil {
		d.sd.Close()
	}
}

// wire builds the reconciler and everything under it from c.
func wire(ctx context.Context, c *config.Config, log *slog.Logger) (*deps, error) {
	if err := privateStateDir(c.StateDir); err != nil {
		return nil, err
	}
	inner, lineage, err := newSource(c)
	if err != nil {
		return nil, &exitError{exitUsage, err}
	}
	src := inner
	sd, err := nixos.ConnectSystemd(ctx)
	if err != nil {
		return nil, err
	}
	nix := c.Nix.Nix()
	builder := newBuilder(c, nix)
	if c.Activate.Inhibitors == activate.InhibitForce {
		sd.SwitchEnv = []string{"NIXOS_NO_CHECK=1"}
	}
	act := &activate.Activator{
		Nix:      builder,
		Systemd:  sd,
		Units:    unitLister{sd},
		Policy:   c.Activate.Policy(pollEvery),
		Profile:  c.Nix.Profile,
		GCRoots:  c.Nix.GCRootDir,
		Root:     "/",
		LockPath: "/run/nixos/switch-to-configuration.lock",
		Files:    c.Files.Installer(filepath.Join(c.StateDir, "files"), c.Trust.RequireEncryptedFiles),
		Differ:   nix,
	}
	rec := &reconciler.Reconciler{
		Host: c.Hostname, Source: src, Lineage: lineage, AllowRewrite: allowRewrite(c),
		Applier: act, Attr: c.Expand(c.Nix.Attribute),
		Store:    reconciler.Store{Path: filepath.Join(c.StateDir, "state.json")},
		History:  reconciler.History{Dir: filepath.Join(c.StateDir, "history"), Keep: c.History.Keep},
		LockPath: filepath.Join(c.StateDir, "lock"),
		StageDir: filepath.Join(c.StateDir, "stage"),
		Log:      log,
	}
	hc, err := newHubClient(c, log)
	if err != nil {
		sd.Close()
		return nil, &exitError{exitUsage, err}
	}
	rec.Reporter = newReporter(c, inner, hc)
	rec.Gate = reconciler.DelayGate{Host: c.Hostname}
	if hc != nil {
		rec.Gate, rec.GateMaxWait = hc, c.Hub.MaxWait
	}
	withHealth(c, act, inner, sd)
	withRetention(c, rec, sd, log)
	withDrift(c, rec)
	if err := setAsideCorruptState(rec.Store, log); err != nil {
		sd.Close()
		return nil, err
	}
	return &deps{rec: rec, act: act, sd: sd, hub: hc, describe: src.String()}, nil
}

// newBuilder builds flakes, or fetches the system a host directory
// declares prebuilt.
func newBuilder(c *config.Config, nix *nixos.Nix) *activate.Prebuilt {
	return c.Prebuilt.Prebuilt(nix, nix)
}

func newGitSource(c *config.Config) (*gitsource.Source, error) {
	return gitsource.New(c.Source.Git.Apply(gitsource.Config{
		Host: c.Hostname, HostDir: c.Expand(c.Source.HostDir),
		StateDir: filepath.Join(c.StateDir, "git"), StageDir: filepath.Join(c.StateDir, "stage"),
		Timeout: c.Source.Timeout, MaxFetchBytes: c.Source.MaxFetchBytes, Limits: c.Source.Limits(),
		Signing: c.Trust.Git.Signing(),
	}))
}

// pollEvery is how often the agent looks at a held lock or a running unit.
const pollEvery = 500 * 1e6

// unitLister reads failed units through the agent's systemd connection.
type unitLister struct{ sd *nixos.Systemd }

func (u unitLister) FailedUnits(ctx context.Context) ([]string, error) {
	return health.FailedUnits(ctx, u.sd.Conn())
}

// setAsideCorruptState moves an unreadable state file out of the way so
// the agent can run, keeping it for inspection and saying so loudly.
func setAsideCorruptState(s reconciler.Store, log *slog.Logger) error {
	if _, err := s.Load(); err == nil {
		return nil
	} else if _, statErr := os.Stat(s.Path); statErr != nil {
		return err
	} else {
		dst, rerr := s.SetAside()
		if rerr != nil {
			return fmt.Errorf("%w; and it could not be moved aside: %v", err, rerr)
		}
		log.Error("state file unreadable; starting afresh, the old file is kept", "err", err, "kept", dst)
		return nil
	}
}

// privateStateDir creates the state directory root-only, and makes an
// existing one root-only too: it holds the fetched repository, staged
// files/ trees and the record of what runs, none of it for other users.
func privateStateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}
