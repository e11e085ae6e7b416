package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-nix/berth/reconciler/control"
	"github.com/spf13/cobra"
)

func newTriggerCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "trigger",
		Short: "Ask the running agent to poll now",
		Long: `Queue a reconcile in the running agent and return at once; triggers that
arrive while one is queued are folded into it. Refused while paused.
Needs root. berth run reconciles in the foreground instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrigger(cmd.Context(), g)
		},
	}
}

func runTrigger(ctx context.Context, g *globals) error {
	c, err := loadConfig(g)
	if err != nil {
		return err
	}
	err = agentClient(c).Trigger(ctx)
	if errors.Is(err, control.ErrUnreachable) {
		return fmt.Errorf("%w (berth run reconciles without an agent)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, "reconcile queued; berth status shows its result")
	return nil
}
