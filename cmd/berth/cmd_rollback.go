package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/berth-nix/berth/reconciler"
	"github.com/spf13/cobra"
)

func newRollbackCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rollback [GENERATION]",
		Short: "Switch to the previous good system and pause the agent",
		Long: `Switch to the previous system of the system profile (the newest older
generation whose system is not the running one), or to the system of the
given profile generation, and make it the boot default. The agent is then
paused until berth resume or until the branch moves to another revision;
either applies the branch again. Recorded in history and the report.
Needs root.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			gen := 0
			if len(args) == 1 {
				n, err := strconv.Atoi(args[0])
				if err != nil || n < 1 {
					return &exitError{exitUsage, fmt.Errorf("generation %q: want a positive number (ls /nix/var/nix/profiles)", args[0])}
				}
				gen = n
			}
			return runRollback(cmd.Context(), g, gen)
		},
	}
}

func runRollback(ctx context.Context, g *globals, gen int) error {
	if os.Geteuid() != 0 {
		return errors.New("berth rollback needs root")
	}
	c, err := loadConfig(g)
	if err != nil {
		return err
	}
	d, err := wire(ctx, c, newLogger(g.stderr, c.Log.Level))
	if err != nil {
		return err
	}
	defer d.Close()
	system, gen, err := d.act.RollbackTarget(gen)
	if err != nil {
		return err
	}
	rep := d.rec.Rollback(ctx, reconciler.RollbackRequest{System: system, Generation: gen, By: who(), Switch: d.act.Rollback})
	if rep.Err != nil {
		printReport(g, rep)
		return &exitError{code: exitFailed}
	}
	if err := pauseStore(c).Save(reconciler.RollbackPause(time.Now(), rep.Revision)); err != nil {
		return fmt.Errorf("rolled back, but could not pause the agent: %w", err)
	}
	fmt.Fprintf(g.stdout, "rolled back to %s (generation %d)\n", system, gen)
	fmt.Fprintln(g.stdout, "the agent is paused until berth resume or until the branch moves")
	return nil
}

// who names the person behind a root command: sudo's user when there is
// one.
func who() string {
	if u := os.Getenv("SUDO_USER"); u != "" {
		return u + " (sudo)"
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}
