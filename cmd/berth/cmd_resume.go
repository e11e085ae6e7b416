package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-nix/berth/reconciler/control"
	"github.com/spf13/cobra"
)

func newResumeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume",
		Short: "End a pause and poll at once",
		Long: `End a pause set with berth pause; a running agent polls at once. Needs root.
Without a running agent the pause file is removed for the next one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runResume(cmd.Context(), g)
		},
	}
}

func runResume(ctx context.Context, g *globals) error {
	c, err := loadConfig(g)
	if err != nil {
		return err
	}
	err = agentClient(c).Resume(ctx)
	if errors.Is(err, control.ErrUnreachable) {
		err = pauseStore(c).Clear()
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, "resumed")
	return nil
}
