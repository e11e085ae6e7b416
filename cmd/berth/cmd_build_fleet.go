package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/internal/atomicfile"
	"github.com/berth-nix/berth/internal/hostname"
	"github.com/berth-nix/berth/nixos"
	"github.com/berth-nix/berth/source/tree"
)

// buildFleetOptions are the flags of `berth build-fleet`.
type buildFleetOptions struct {
	Fleet, To, HostDir, Attr, SignKey, Nix string
	Substituters, Hosts                    []string
	JSON                                   bool
}

func newBuildFleetCmd(g *globals) *cobra.Command {
	var o buildFleetOptions
	cmd := &cobra.Command{
		Use:   "build-fleet --fleet DIR --to CACHE [HOST...]",
		Short: "Build every host's system, push it to a binary cache and write its prebuilt.json (admin side)",
		Long: `For each host directory of the fleet (or the named hosts): resolve it as the
agent would, nix build its toplevel, sign the closure when --sign-key is
given (nix store sign), push it with nix copy --to CACHE, and write
prebuilt.json into the host directory. Commit or publish the fleet
afterwards; hosts then fetch the system instead of building it. Hosts
must trust the signing key in their own nix.conf (trusted-public-keys)
and allow the cache they fetch from (prebuilt.substituters). Exits 1
when a host failed. The agent configuration is not read.`,
		RunE: func(cmd *cobra.Command, hosts []string) error {
			o.Hosts = hosts
			return runBuildFleet(cmd.Context(), g.stdout, g.stderr, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Fleet, "fleet", "", "fleet directory, e.g. a checkout of the fleet repository (required)")
	f.StringVar(&o.To, "to", "", "store URL to push to, e.g. s3://bucket or file:///srv/cache (required)")
	f.StringVar(&o.HostDir, "host-dir", "hosts/{hostname}", "host directory inside the fleet; {hostname} is replaced")
	f.StringVar(&o.Attr, "attr", "nixosConfigurations.{hostname}.config.system.build.toplevel", "flake attribute to build")
	f.StringVar(&o.SignKey, "sign-key", "", "secret key file (nix-store --generate-binary-cache-key) to sign the closures with")
	f.StringArrayVar(&o.Substituters, "substituter", nil, "cache URL hosts fetch from, written into prebuilt.json (repeatable; default: none, hosts use their allowed caches)")
	f.StringVar(&o.Nix, "nix", "nix", "the nix binary")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("fleet")
	cmd.MarkFlagRequired("to")
	return cmd
}

// builtHost is one host's line of `berth build-fleet --json`.
type builtHost struct {
	Host     string `json:"host"`
	Toplevel string `json:"toplevel,omitempty"`
	// Action is "written", "unchanged" (prebuilt.json already said so) or
	// "failed".
	Action string `json:"action"`
	Error  string `json:"error,omitempty"`
}

func runBuildFleet(ctx context.Context, stdout, stderr io.Writer, o buildFleetOptions) error {
	hosts, err := fleetHosts(o)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	stage, err := os.MkdirTemp("", "berth-build-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	nix := &nixos.Nix{Command: o.Nix}
	var out []builtHost
	failed := 0
	for _, h := range hosts {
		b := buildHost(ctx, nix, o, h, stage, stderr)
		if b.Action == "failed" {
			failed++
			fmt.Fprintf(stderr, "berth: %s: %s\n", h, b.Error)
		}
		out = append(out, b)
	}
	if err := printBuilt(stdout, out, o.JSON); err != nil {
		return err
	}
	if failed > 0 {
		return &exitError{exitFailed, fmt.Errorf("build-fleet: %d host(s) failed", failed)}
	}
	return nil
}

// buildHost builds, signs and pushes one host's system, then records it
// in the host directory.
func buildHost(ctx context.Context, nix *nixos.Nix, o buildFleetOptions, host, stage string, log io.Writer) builtHost {
	b := builtHost{Host: host, Action: "failed"}
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
		b.Action, err = writeDeclaration(filepath.Join(o.Fleet, dir), activate.Declaration{Toplevel: b.Toplevel, Substituters: o.Substituters})
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
func writeDeclaration(dir string, d activate.Declaration) (string, error) {
	path := filepath.Join(dir, activate.PrebuiltFile)
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

// fleetHosts returns the named hosts, or every directory the host
// directory template matches.
func fleetHosts(o buildFleetOptions) ([]string, error) {
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

func printBuilt(w io.Writer, out []builtHost, asJSON bool) error {
	if asJSON {
		if out == nil {
			out = []builtHost{}
		}
		return writeJSON(w, out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintln(tw, "HOST\tACTION\tTOPLEVEL")
	for _, b := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Host, b.Action, b.Toplevel)
	}
	return nil
}
