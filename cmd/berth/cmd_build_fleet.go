package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berth-nix/berth/fleet"
	"github.com/berth-nix/berth/internal/hostname"
)

// buildFleetOptions are the flags of `berth build-fleet`.
type buildFleetOptions struct {
	fleet.BuildOptions
	JSON bool
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
	f.StringVar(&o.HostDir, "host-dir", hostname.DefaultHostDir, "host directory inside the fleet; {hostname} is replaced")
	f.StringVar(&o.Attr, "attr", "nixosConfigurations.{hostname}.config.system.build.toplevel", "flake attribute to build")
	f.StringVar(&o.SignKey, "sign-key", "", "secret key file (nix-store --generate-binary-cache-key) to sign the closures with")
	f.StringArrayVar(&o.Substituters, "substituter", nil, "cache URL hosts fetch from, written into prebuilt.json (repeatable; default: none, hosts use their allowed caches)")
	f.StringVar(&o.Nix, "nix", "nix", "the nix binary")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("fleet")
	cmd.MarkFlagRequired("to")
	return cmd
}

func runBuildFleet(ctx context.Context, stdout, stderr io.Writer, o buildFleetOptions) error {
	out, err := fleet.Build(ctx, o.BuildOptions, stderr)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	failed := 0
	for _, b := range out {
		if b.Action == "failed" {
			failed++
			fmt.Fprintf(stderr, "berth: %s: %s\n", b.Host, b.Error)
		}
	}
	if err := printBuilt(stdout, out, o.JSON); err != nil {
		return err
	}
	if failed > 0 {
		return &exitError{exitFailed, fmt.Errorf("build-fleet: %d host(s) failed", failed)}
	}
	return nil
}

func printBuilt(w io.Writer, out []fleet.Built, asJSON bool) error {
	if asJSON {
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
