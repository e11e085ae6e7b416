package fleet

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berth-nix/berth/report"
)

// Options say where `berth fleet status` reads.
type Options struct {
	// Reports is the directory holding the hosts' reports.
	Reports string
	// Repo is a fleet repository checkout; empty when not compared.
	Repo string
	// HostDir is the host directory template inside Repo.
	HostDir string
	// StaleAfter is the age past which a report is stale.
	StaleAfter time.Duration
}

// Row is one host of `berth fleet status --json`.
type Row struct {
	Host            string    `json:"host"`
	State           string    `json:"state"`
	Wanted          string    `json:"wanted,omitempty"`
	AppliedRevision string    `json:"applied_revision,omitempty"`
	AppliedDigest   string    `json:"applied_digest,omitempty"`
	AppliedSigner   string    `json:"applied_signer,omitempty"`
	Berth           string    `json:"berth,omitempty"` // the agent's version, from its report
	ReportAt        time.Time `json:"report_at,omitzero"`
	AgeSeconds      int64     `json:"age_seconds,omitempty"`
	Error           string    `json:"error,omitempty"`
	File            string    `json:"file,omitempty"`
}

// View is the whole output of `berth fleet status --json`.
type View struct {
	Hosts []Row     `json:"hosts"`
	Bad   []BadFile `json:"bad,omitempty"`
}

// Status reads the reports and, with o.Repo, the fleet repository, and
// judges every host at now. A host whose report was refused keeps a row
// that says why.
func Status(o Options, now time.Time) (View, error) {
	reps, err := collectReports(o.Reports, now)
	if err != nil {
		return View{}, err
	}
	bad := reps.bad
	var wanted map[string]string
	if o.Repo != "" {
		var wbad []BadFile
		if wanted, wbad, err = wantedDigests(o.Repo, o.HostDir); err != nil {
			return View{}, err
		}
		bad = append(bad, wbad...)
	}
	v := View{Hosts: []Row{}, Bad: bad}
	for _, h := range hostNames(reps, wanted) {
		row := rowOf(h, reps.byHost[h], wanted[h], reps.file[h], now, o.StaleAfter)
		if why, ok := reps.refused[h]; ok && reps.byHost[h] == nil {
			row.Error = Summary(why)
		}
		v.Hosts = append(v.Hosts, row)
	}
	return v, nil
}

func rowOf(host string, rep *report.HostReport, wanted, file string, now time.Time, staleAfter time.Duration) Row {
	row := Row{Host: host, Wanted: wanted, File: file}
	row.State, row.Error = hostState(rep, wanted, now, staleAfter)
	if rep == nil {
		return row
	}
	row.ReportAt, row.AgeSeconds, row.Berth = rep.At, int64(now.Sub(rep.At).Seconds()), rep.AgentVersion
	if a := rep.Applied; a != nil {
		row.AppliedRevision, row.AppliedDigest, row.AppliedSigner = a.Revision, a.Digest, a.Signer
	}
	return row
}

// Print writes v as a table, with the wanted column when withWanted,
// followed by the bad files.
func Print(out io.Writer, v View, withWanted bool) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	header := "HOST\tSTATE\tAPPLIED\tBERTH\tAGE\tERROR"
	if withWanted {
		header = "HOST\tSTATE\tWANTED\tAPPLIED\tBERTH\tAGE\tERROR"
	}
	fmt.Fprintln(w, header)
	for _, r := range v.Hosts {
		cols := []string{r.Host, r.State, applied(r), orDash(r.Berth), age(r), r.Error}
		if withWanted {
			cols = append(cols[:2], append([]string{orDash(shortDigest(r.Wanted))}, cols[2:]...)...)
		}
		fmt.Fprintln(w, strings.Join(cols, "\t"))
	}
	w.Flush()
	for _, b := range v.Bad {
		fmt.Fprintf(out, "bad: %s: %s\n", b.File, Summary(b.Error))
	}
}

func applied(r Row) string {
	if r.AppliedRevision == "" {
		return "-"
	}
	rev := r.AppliedRevision
	if i := strings.Index(rev, ":"); i >= 0 && len(rev) > i+13 {
		rev = rev[:i+13]
	}
	return rev + " (" + shortDigest(r.AppliedDigest) + ")"
}

func age(r Row) string {
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
