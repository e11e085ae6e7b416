package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/reconciler/control"
	"github.com/spf13/cobra"
)

func newPostponeCmd(g *globals) *cobra.Command {
	var d time.Duration
	cmd := &cobra.Command{
		Use:   "postpone",
		Short: "Hold the pending update for a while (members of the control group)",
		Long: `Ask the running agent to hold reconciles for --for (default and maximum:
control.postpone_max, 4h unless configured). Members of the control group
may, not only root; the same update is postponed only once, and a
postpone is refused while any pause holds. The agent goes on by itself
when the time is up; root's berth resume ends it early.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if d < 0 {
				return &exitError{exitUsage, errors.New("--for must not be negative")}
			}
			return runPostpone(cmd.Context(), g, d)
		},
	}
	cmd.Flags().DurationVar(&d, "for", 0, "how long to hold the update (e.g. 2h); 0 means as long as the host allows")
	return cmd
}

func runPostpone(ctx context.Context, g *globals, d time.Duration) error {
	socket := config.Defaults().Control.Socket
	c, err := loadConfig(g)
	switch {
	case err == nil:
		socket = c.Control.Socket
	case !errors.Is(err, fs.ErrPermission):
		return err
	}
	// A member of the control group may not read the configuration file:
	// the default socket is then the one to ask.
	p, err := control.NewClient(socket).Postpone(ctx, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "update postponed until %s (in %s)\n", p.Until.Local().Format("2006-01-02 15:04:05"), time.Until(p.Until).Round(time.Second))
	return nil
}
