package main

import (
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berth-nix/berth/hub"
)

// newHubRolloutCmd is `berth hub rollout status|resume|abort`
// (docs/rollouts.md).
func newHubRolloutCmd(g *globals) *cobra.Command {
	var o hubClientOptions
	var asJSON bool
	cmd := &cobra.Command{Use: "rollout", Short: "Show, resume or abort staged rollouts", Args: cobra.NoArgs}
	status := &cobra.Command{Use: "status", Short: "Show the rollouts, newest last, wave by wave", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var vs []hub.RolloutView
			if err := o.call(cmd.Context(), "GET", "/v1/rollouts", nil, &vs); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(g.stdout, vs)
			}
			return printRollouts(g.stdout, vs)
		}}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	action := func(kind, short string) *cobra.Command {
		return &cobra.Command{Use: kind + " [REVISION]", Short: short, Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				rev := "current"
				if len(args) == 1 {
					rev = args[0]
				}
				var v hub.RolloutView
				if err := o.call(cmd.Context(), "POST", "/v1/rollouts/"+url.PathEscape(rev)+"/"+kind, nil, &v); err != nil {
					return err
				}
				return printRollouts(g.stdout, []hub.RolloutView{v})
			}}
	}
	resume := action("resume", "Resume a halted rollout: failures so far no longer count (operate role)")
	abort := action("abort", "Abort a rollout: hosts that have not applied it stay where they are (operate role)")
	for _, c := range []*cobra.Command{status, resume, abort} {
		o.flags(c.Flags())
		cmd.AddCommand(c)
	}
	return cmd
}

func printRollouts(out io.Writer, vs []hub.RolloutView) error {
	if len(vs) == 0 {
		fmt.Fprintln(out, "no rollout yet")
		return nil
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, v := range vs {
		fmt.Fprintf(w, "rollout %s: %s (started %s)\n", v.Revision, v.State, stamp(v.Start))
		for _, f := range v.Failing {
			fmt.Fprintf(w, "  failing: %s: %s\n", f.Host, f.Reason)
		}
		fmt.Fprintln(w, "  WAVE\tSTATE\tAPPLIED\tFAILED\tPENDING\tBUDGET")
		for _, wv := range v.Waves {
			pending := len(wv.Hosts) - len(wv.Applied) - len(wv.Failed)
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%d\t%d\n", wv.Name, wv.State, orNone(wv.Applied), orNone(wv.Failed), pending, wv.FailureBudget)
		}
	}
	return w.Flush()
}
