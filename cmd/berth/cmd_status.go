package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/berth-nix/berth/reconciler/control"
	"github.com/spf13/cobra"
)

func newStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what this host runs and how the last attempt went",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStatus(cmd.Context(), g, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// status is what berth status prints; its JSON form is stable for scripts.
type status = control.Status

// runStatus asks the running agent, or reads its files when none answers.
func runStatus(ctx context.Context, g *globals, asJSON bool) error {
	c, err := loadConfig(g)
	if err != nil {
		return err
	}
	s, err := readStatus(ctx, c)
	if err != nil {
		return err
	}
	fresh := s.State.Freshness(time.Now(), c.Trust.MaxAge)
	reboot := withPendingBoot(rebootStatus("/"), s.State.PendingBoot, "/")
	addRebootPlan(reboot, c, s)
	if asJSON {
		return writeJSON(g.stdout, statusJSON{Status: s, Freshness: fresh, Reboot: reboot, Report: lastReport(c.StateDir)})
	}
	printStatus(g.stdout, s)
	printFreshness(g.stdout, fresh)
	printReboot(g.stdout, reboot)
	printRebootPlan(g.stdout, reboot)
	printDeferral(g.stdout, s.State.Deferred)
	printGated(g.stdout, s.State.Gated)
	return nil
}

func printStatus(out io.Writer, s status) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	defer w.Flush()
	st := s.State
	fmt.Fprintf(w, "host\t%s\n", s.Host)
	printBuild(w, s)
	if s.StateNotSaved != "" {
		fmt.Fprintf(w, "state\t%s: %s\n", "NOT SAVED, shown from the agent's memory", s.StateNotSaved)
	}
	if a := st.Applied; a != nil {
		fmt.Fprintf(w, "applied\t%s (%s)\n", a.Revision, ago(a.At))
		fmt.Fprintf(w, "  system\t%s\n", a.Toplevel)
		fmt.Fprintf(w, "  digest\t%s\n", a.Digest)
		if a.Signer != "" {
			fmt.Fprintf(w, "  signed by\t%s\n", a.Signer)
		}
	} else {
		fmt.Fprintf(w, "applied\tnothing yet\n")
	}
	if !st.LastPoll.IsZero() {
		fmt.Fprintf(w, "last poll\t%s (%s)\n", st.LastSeen, ago(st.LastPoll))
	}
	if l := st.Last; l != nil {
		line := l.Result
		if l.Phase != "" && l.Result != "applied" && l.Result != "unchanged" {
			line += " in " + l.Phase
		}
		fmt.Fprintf(w, "last result\t%s %s (%s)\n", line, l.Revision, ago(l.At))
		if l.Error != "" {
			fmt.Fprintf(w, "  error\t%s\n", l.Error)
		}
	}
	if r := st.Rejected; r != nil {
		fmt.Fprintf(w, "rejected\t%s in %s: %s\n", r.Revision.Revision, r.Phase, r.Reason)
		fmt.Fprintf(w, "\t(not retried until the host's configuration changes; berth run --retry forces)\n")
	}
	if st.FetchFailures > 0 {
		fmt.Fprintf(w, "failures\t%d transient in a row (retried with backoff: next poll)\n", st.FetchFailures)
	}
	if b := st.PendingBoot; b != nil {
		fmt.Fprintf(w, "boot only\t%s runs after the next reboot: %s\n", b.System, b.Why)
	}
	if b := st.RolledBack; b != nil {
		fmt.Fprintf(w, "rolled back\tto %s (generation %d) by %s (%s)\n", b.System, b.Generation, b.By, ago(b.At))
	}
	if d := st.Drift; d != nil {
		fmt.Fprintf(w, "drift\trunning %s, not the applied system (since %s)\n", d.Running, ago(d.Since))
	}
	if p := st.InProgress; p != nil {
		fmt.Fprintf(w, "in progress\t%s, phase %s\n", p.Revision.Revision, p.Progress.Phase)
	}
	printSchedule(w, s)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05") + ", " + time.Since(t).Round(time.Second).String() + " ago"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
