package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-nix/berth/internal/atomicfile"
	"github.com/berth-nix/berth/internal/hostname"
	"github.com/berth-nix/berth/nixos"
	"github.com/berth-nix/berth/prebuilt"
	"github.com/berth-nix/berth/source/tree"
)

// BuildOptions say what `berth build-fleet` builds and where it pushes.
type BuildOptions struct {
	// Fleet is the fleet directory, e.g. a checkout of the repository.
	Fleet string
	// To is the store URL the closures are pushed to.
	To string
	// HostDir and Attr are templates with {hostname}.
	HostDir, Attr string
	// SignKey is a secret key file to sign the closures with, or "".
	SignKey string
	// Nix is the nix binary.
	Nix string
	// Substituters are written into each prebuilt.json.
	Substituters []string
	// Hosts are the hosts to build; none means every host of the fleet.
	Hosts []string
}

// Built is one host's outcome of a build-fleet.
type Built struct {
	Host     string `json:"host"`
	Toplevel string `json:"toplevel,omitempty"`
	// Action is "written", "unchanged" (prebuilt.json already said so) or
	// "failed".
	Action string `json:"action"`
	Error  string `json:"error,omitempty"`
}

// Build builds, signs and pushes every host's system and writes its
// prebuilt.json, host by host; nix's output goes to log. A host that
// fails is reported in its Built and does not stop the others; the error
// is for options that name no host.
func Build(ctx context.Context, o BuildOptions, log io.Writer) ([]Built, error) {
	hosts, err := BuildHosts(o)
	if err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp("", "berth-build-fleet-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	nix := &nixos.Nix{Command: o.Nix}
	out := []Built{}
	for _, h := range hosts {
		out = append(out, buildHost(ctx, nix, o, h, stage, log))
	}
	return out, nil
}

// buildHost builds, signs and pushes one host's system, then records it
// in the host directory.
func buildHost(ctx context.Context, nix *nixos.Nix, o BuildOptions, host, stage string, log io.Writer) Built {
	b := Built{Host: host, Action: "failed"}
	dir := hostname.Expand(o.HostDir, host)
	flake, err := stageHost(o.Fleet, dir, stage)
	if err == nil {
		b.Toplevel, err = nix.BuildFlake(ctx, flake, hostname.Expand(o.Attr, host), log)
	}
	if err == nil && o.SignKey != "" {
		err = nix.Sign(ctx, b.Toplevel, o.SignKey, log)
	}
	if err == nil {
		err = nix.CopyTo(ctx, o.To, b.Toplevel, log)
	}
	if err == nil {
		b.Action, err = writeDeclaration(filepath.Join(o.Fleet, dir), prebuilt.Declaration{Toplevel: b.Toplevel, Substituters: o.Substituters})
	}
	if err != nil {
		b.Action, b.Error = "failed", err.Error()
	}
	return b
}

// stageHost resolves the host directory as the agent's source does
// (symlinks to shared directories inside the fleet become copies) and
// returns the staged flake directory.
func stageHost(fleet, dir, stage string) (string, error) {
	fsys, ok := os.DirFS(fleet).(fs.ReadLinkFS)
	if !ok {
		return "", fmt.Errorf("fleet %s: cannot read symbolic links", fleet)
	}
	t, err := tree.Resolve(fsys, filepath.ToSlash(dir), tree.Limits{})
	if err != nil {
		return "", err
	}
	staged, err := t.Stage(stage)
	if err != nil {
		return "", err
	}
	return filepath.Join(staged, "flake"), nil
}

// writeDeclaration writes dir/prebuilt.json unless it already declares d.
func writeDeclaration(dir string, d prebuilt.Declaration) (string, error) {
	path := filepath.Join(dir, prebuilt.File)
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return "", err
	}
	data = append(data, '\n')
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return "unchanged", nil
	}
	return "written", atomicfile.WriteFile(path, data, 0o644)
}

// BuildHosts returns the named hosts, or every directory the host
// directory template matches.
func BuildHosts(o BuildOptions) ([]string, error) {
	hosts := o.Hosts
	if len(hosts) == 0 {
		if _, _, err := hostname.Split(o.HostDir); err != nil {
			return nil, fmt.Errorf("build-fleet: %w: name the hosts", err)
		}
		var err error
		if hosts, err = hostname.List(o.Fleet, o.HostDir); err != nil {
			return nil, fmt.Errorf("build-fleet: %w", err)
		}
	}
	hosts, err := hostname.Sorted(hosts)
	if err != nil {
		return nil, fmt.Errorf("build-fleet: %w", err)
	}
	return hosts, nil
}
