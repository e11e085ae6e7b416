package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-nix/berth/fleet"
	"github.com/berth-nix/berth/internal/hostname"
)

// fleetOptions are the flags of `berth fleet status`.
type fleetOptions struct {
	fleet.Options
	JSON bool
	Hub  hubClientOptions
}

func newFleetCmd(g *globals) *cobra.Command {
	group := &cobra.Command{Use: "fleet", Short: "Admin-side views of a whole fleet", Args: cobra.NoArgs}
	var o fleetOptions
	status := &cobra.Command{
		Use:   "status --reports DIR [--repo DIR] | --hub URL",
		Short: "One line per host from the reports the agents sent (admin side)",
		Long: `Reads the hosts' reports under DIR (DIR/<host>.json, DIR/<host>/report.json
or DIR/<host>/reports/report.json, as SFTP chroots hold them) and prints one
line per host: its state (up-to-date, pending, failed, reverted, stale,
no-report), the configuration the fleet repository wants when --repo is
given, what it applied, the age of its report and an error summary. Files
that cannot be read are listed, not fatal. The agent configuration is not
read. With --hub instead of --reports, the hosts come from a berth hub's
JSON API (read role).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (o.Reports == "") == (o.Hub.URL == "") {
				return &exitError{exitUsage, fmt.Errorf("give exactly one of --reports and --hub")}
			}
			if o.Hub.URL != "" {
				return runFleetStatusHub(cmd.Context(), g.stdout, o)
			}
			return runFleetStatus(g.stdout, o, time.Now())
		},
	}
	f := status.Flags()
	f.StringVar(&o.Reports, "reports", "", "directory holding the hosts' reports")
	f.StringVar(&o.Repo, "repo", "", "fleet repository checkout: compare each host with what it should run")
	f.StringVar(&o.HostDir, "host-dir", hostname.DefaultHostDir, "host directory inside the repository; {hostname} is replaced")
	f.DurationVar(&o.StaleAfter, "stale-after", 45*time.Minute, "a report older than this is stale (3 poll intervals)")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	o.Hub.flags(f)
	group.AddCommand(status)
	return group
}

func runFleetStatus(out io.Writer, o fleetOptions, now time.Time) error {
	v, err := fleet.Status(o.Options, now)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	if o.JSON {
		return writeJSON(out, v)
	}
	fleet.Print(out, v, o.Repo != "")
	return nil
}
