package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/control"
	"github.com/spf13/cobra"
)

func newPauseCmd(g *globals) *cobra.Command {
	var d time.Duration
	cmd := &cobra.Command{
		Use:   "pause",
		Short: "Hold scheduled and triggered reconciles",
		Long: `Hold the agent's scheduled, webhook and trigger reconciles until berth resume,
or for the --for duration, after which the agent resumes on its own and
polls at once. The pause survives restarts. An attempt already running
finishes; berth run still reconciles when asked explicitly. Needs root.
Works without a running agent: the next agent finds the pause.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if d < 0 {
				return &exitError{exitUsage, errors.New("--for must not be negative")}
			}
			return runPause(cmd.Context(), g, d)
		},
	}
	cmd.Flags().DurationVar(&d, "for", 0, "end the pause on its own after this long (e.g. 2h); 0 means until berth resume")
	return cmd
}

func runPause(ctx context.Context, g *globals, d time.Duration) error {
	c, err := loadConfig(g)
	if err != nil {
		return err
	}
	p, err := agentClient(c).Pause(ctx, d)
	if errors.Is(err, control.ErrUnreachable) {
		p = reconciler.Pause{Since: time.Now(), By: fmt.Sprintf("uid %d", os.Getuid())}
		if d > 0 {
			p.Until = p.Since.Add(d)
		}
		if err = os.MkdirAll(c.StateDir, 0o700); err == nil {
			err = pauseStore(c).Save(p)
		}
	}
	if err != nil {
		return err
	}
	printPause(g.stdout, &p)
	return nil
}

func printPause(w io.Writer, p *reconciler.Pause) {
	if p.Until.IsZero() {
		fmt.Fprintln(w, "paused until berth resume")
		return
	}
	fmt.Fprintf(w, "paused until %s (in %s)\n", p.Until.Local().Format("2006-01-02 15:04:05"), time.Until(p.Until).Round(time.Second))
}
