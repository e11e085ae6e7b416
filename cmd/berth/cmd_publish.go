package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berth-nix/berth/source/publish"
)

func newPublishCmd(g *globals) *cobra.Command {
	var o publish.Options
	var asJSON bool
	var signKey string
	cmd := &cobra.Command{
		Use:   "publish --fleet DIR --chroots DIR [HOST...]",
		Short: "Publish each host's directory of a fleet into its SFTP chroot (admin side)",
		Long: `Resolves every host directory of the fleet (symlinks to shared directories
inside it are followed, links that escape it are refused) and writes each
host's tree and manifest into CHROOTS/<host>/config, atomically: an agent
polling meanwhile sees the old configuration or the new one, never a mix.
Hosts whose configuration did not change are not touched. A host directory
that cannot be published is published as a refusal, which its agent
reports without changing anything. Exits 1 when a host failed or was
refused. The agent configuration is not read.`,
		RunE: func(cmd *cobra.Command, hosts []string) error {
			o.Hosts = hosts
			var err error
			if o.Sign, err = loadSignKey(signKey); err != nil {
				return &exitError{exitUsage, err}
			}
			return runPublish(cmd.Context(), g, o, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Fleet, "fleet", "", "fleet directory, e.g. a checkout of the fleet repository (required)")
	f.StringVar(&o.Chroots, "chroots", "", "directory holding one chroot per host (required)")
	f.StringVar(&o.HostDir, "host-dir", publish.DefaultHostDir, "host directory inside the fleet; {hostname} is replaced")
	f.StringVar(&o.ConfigDir, "path", publish.DefaultConfigDir, "configuration directory inside each chroot (the agents' source.sftp.path)")
	f.BoolVarP(&o.DryRun, "dry-run", "n", false, "show what would change, write nothing")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.StringVar(&signKey, "sign-key", "", "OpenSSH private key that signs every manifest (agents with trust.sftp.allowed_signers require it)")
	cmd.MarkFlagRequired("fleet")
	cmd.MarkFlagRequired("chroots")
	return cmd
}

// publishResult is one host's line of `berth publish --json`.
type publishResult struct {
	Host     string `json:"host"`
	Action   string `json:"action"`
	DryRun   bool   `json:"dry_run,omitempty"`
	Revision string `json:"revision,omitempty"`
	Previous string `json:"previous,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func runPublish(ctx context.Context, g *globals, o publish.Options, asJSON bool) error {
	res, err := publish.Run(ctx, o)
	if err != nil {
		return err
	}
	out := make([]publishResult, 0, len(res))
	bad := 0
	for _, r := range res {
		out = append(out, publishResult{r.Host, string(r.Action), o.DryRun, r.Revision, r.Previous, r.Reason})
		if r.Action == publish.Failed || r.Action == publish.Refused {
			bad++
		}
	}
	if asJSON {
		err = writeJSON(g.stdout, out)
	} else {
		printPublish(g, out)
	}
	if err == nil && bad > 0 {
		return &exitError{exitFailed, fmt.Errorf("publish: %d host(s) failed or refused", bad)}
	}
	return err
}

func printPublish(g *globals, out []publishResult) {
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintln(w, "HOST\tACTION\tREVISION\tPREVIOUS\tDETAIL")
	for _, r := range out {
		action := r.Action
		if r.DryRun && (action == string(publish.Published) || action == string(publish.Refused)) {
			action = "would be " + action
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Host, action, orDash(r.Revision), orDash(r.Previous), firstLine(r.Reason))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
