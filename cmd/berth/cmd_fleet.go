package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-nix/berth/reconciler"
)

// fleetOptions are the flags of `berth fleet status`.
type fleetOptions struct {
	Reports    string
	Repo       string
	HostDir    string
	StaleAfter time.Duration
	JSON       bool
	Hub        hubClientOptions
}

func newFleetCmd(g *globals) *cobra.Command {
	fleet := &cobra.Command{Use: "fleet", Short: "Admin-side views of a whole fleet", Args: cobra.NoArgs}
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
	f.StringVar(&o.HostDir, "host-dir", "hosts/{hostname}", "host directory inside the repository; {hostname} is replaced")
	f.DurationVar(&o.StaleAfter, "stale-after", 45*time.Minute, "a report older than this is stale (3 poll intervals)")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	o.Hub.flags(f)
	fleet.AddCommand(status)
	return fleet
}

// fleetRow is one host of `berth fleet status --json`.
type fleetRow struct {
	Host            string    `json:"host"`
	State           string    `json:"state"`
	Wanted          string    `json:"wanted,omitempty"`
	AppliedRevision string    `json:"applied_revision,omitempty"`
	AppliedDigest   string    `json:"applied_digest,omitempty"`
	AppliedSigner   string    `json:"applied_signer,omitempty"`
	ReportAt        time.Time `json:"report_at,omitzero"`
	AgeSeconds      int64     `json:"age_seconds,omitempty"`
	Error           string    `json:"error,omitempty"`
	File            string    `json:"file,omitempty"`
}

// fleetView is the whole output of `berth fleet status --json`.
type fleetView struct {
	Hosts []fleetRow `json:"hosts"`
	Bad   []badFile  `json:"bad,omitempty"`
}

func runFleetStatus(out io.Writer, o fleetOptions, now time.Time) error {
	v, err := buildFleetView(o, now)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	if o.JSON {
		return writeJSON(out, v)
	}
	printFleet(out, v, o.Repo != "")
	return nil
}

func buildFleetView(o fleetOptions, now time.Time) (fleetView, error) {
	reps, files, bad, err := collectReports(o.Reports)
	if err != nil {
		return fleetView{}, err
	}
	var wanted map[string]string
	if o.Repo != "" {
		var wbad []badFile
		if wanted, wbad, err = wantedDigests(o.Repo, o.HostDir); err != nil {
			return fleetView{}, err
		}
		bad = append(bad, wbad...)
	}
	v := fleetView{Hosts: []fleetRow{}, Bad: bad}
	for _, h := range hostNames(reps, wanted) {
		v.Hosts = append(v.Hosts, fleetRowOf(h, reps[h], wanted[h], files[h], now, o.StaleAfter))
	}
	return v, nil
}

func fleetRowOf(host string, rep *reconciler.HostReport, wanted, file string, now time.Time, staleAfter time.Duration) fleetRow {
	row := fleetRow{Host: host, Wanted: wanted, File: file}
	row.State, row.Error = hostState(rep, wanted, now, staleAfter)
	if rep == nil {
		return row
	}
	row.ReportAt, row.AgeSeconds = rep.At, int64(now.Sub(rep.At).Seconds())
	if a := rep.Applied; a != nil {
		row.AppliedRevision, row.AppliedDigest, row.AppliedSigner = a.Revision, a.Digest, a.Signer
	}
	return row
}

func printFleet(out io.Writer, v fleetView, withWanted bool) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	header := "HOST\tSTATE\tAPPLIED\tAGE\tERROR"
	if withWanted {
		header = "HOST\tSTATE\tWANTED\tAPPLIED\tAGE\tERROR"
	}
	fmt.Fprintln(w, header)
	for _, r := range v.Hosts {
		cols := []string{r.Host, r.State, applied(r), age(r), r.Error}
		if withWanted {
			cols = append(cols[:2], append([]string{orDash(shortDigest(r.Wanted))}, cols[2:]...)...)
		}
		fmt.Fprintln(w, strings.Join(cols, "\t"))
	}
	w.Flush()
	for _, b := range v.Bad {
		fmt.Fprintf(out, "bad: %s: %s\n", b.File, summary(b.Error))
	}
}

func applied(r fleetRow) string {
	if r.AppliedRevision == "" {
		return "-"
	}
	rev := r.AppliedRevision
	if i := strings.Index(rev, ":"); i >= 0 && len(rev) > i+13 {
		rev = rev[:i+13]
	}
	return rev + " (" + shortDigest(r.AppliedDigest) + ")"
}

func age(r fleetRow) string {
	if r.ReportAt.IsZero() {
		return "-"
	}
	return (time.Duration(r.AgeSeconds) * time.Second).String()
}

// shortDigest keeps "sha256:" and 12 hex digits.
func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
