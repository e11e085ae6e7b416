package main

import (
	"errors"
	"fmt"

	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/control"
	"github.com/spf13/cobra"
)

type runOpts struct {
	once  bool
	retry bool
}

func newRunCmd(g *globals) *cobra.Command {
	var o runOpts
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Reconcile once now",
		Long: `Poll the source and apply a new configuration if there is one.

Exit status: 0 applied, 1 failed or refused, 2 bad configuration,
3 nothing new to apply, 4 tried and reverted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.once, "once", true, "reconcile once and exit (the only mode of run)")
	cmd.Flags().BoolVar(&o.retry, "retry", false, "try the current configuration again even if it was applied or failed before")
	return cmd
}

func runRun(cmd *cobra.Command, g *globals, o runOpts) error {
	c, err := loadConfig(g)
	if err != nil {
		return err
	}
	if rep, err := runViaAgent(cmd.Context(), c, o.retry); !errors.Is(err, control.ErrUnreachable) {
		if err != nil {
			return err
		}
		printReport(g, rep)
		return &exitError{code: exitCode(rep)}
	}
	log := newLogger(g.stderr, c.Log.Level)
	d, err := wire(cmd.Context(), c, log)
	if err != nil {
		return err
	}
	defer d.Close()
	rep := d.rec.Run(cmd.Context(), reconciler.Options{Retry: o.retry, Trigger: "cli"})
	printReport(g, rep)
	return &exitError{code: exitCode(rep)}
}

func printReport(g *globals, rep reconciler.Report) {
	line := rep.Result
	if rep.Revision != "" {
		line += " " + rep.Revision
	}
	if rep.Reason != "" {
		line += ": " + rep.Reason
	}
	fmt.Fprintln(g.stdout, line)
	if a := rep.Attempt; a != nil {
		fmt.Fprintf(g.stdout, "attempt %s, log %s\n", a.ID, a.LogPath)
	}
	if rep.Err != nil {
		fmt.Fprintln(g.stdout, "error:", rep.Err)
	}
}

func exitCode(rep reconciler.Report) int {
	switch rep.Result {
	case reconciler.ResultApplied:
		return exitOK
	case reconciler.ResultUnchanged:
		return exitUnchanged
	case reconciler.ResultReverted:
		return exitReverted
	}
	return exitFailed
}
