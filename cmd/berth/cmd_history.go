package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/berth-nix/berth/reconciler"
	"github.com/spf13/cobra"
)

func newHistoryCmd(g *globals) *cobra.Command {
	var asJSON, diffs bool
	var limit int
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List recent attempts, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHistory(cmd.Context(), g, asJSON, diffs, limit)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "show at most this many attempts")
	cmd.Flags().BoolVar(&diffs, "diff", false, "also show what each attempt's system changed (closure diff)")
	return cmd
}

func runHistory(ctx context.Context, g *globals, asJSON, diffs bool, limit int) error {
	c, err := loadConfig(g)
	if err != nil {
		return err
	}
	atts, err := readHistory(ctx, c, limit)
	if err != nil {
		return err
	}
	if asJSON {
		if atts == nil {
			atts = []reconciler.Attempt{}
		}
		return writeJSON(g.stdout, atts)
	}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintln(w, "ATTEMPT\tTRIGGER\tREVISION\tRESULT\tPHASE\tDETAIL")
	for _, a := range atts {
		detail := a.Error
		if len(a.FailedUnits) > 0 {
			detail = "failed units: " + strings.Join(a.FailedUnits, ", ")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Trigger, a.Revision, a.Result, a.Phase, firstLine(detail))
	}
	if diffs {
		w.Flush()
		writeDiffs(g.stdout, atts)
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
