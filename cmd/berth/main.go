// Command berth is the berth agent and its command-line interface.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes of berth run; other commands exit 0 or 1.
const (
	exitOK        = 0 // applied (or, for other commands, success)
	exitFailed    = 1 // the attempt failed or was refused, or the command failed
	exitUsage     = 2 // bad flags or configuration
	exitUnchanged = 3 // nothing new to apply
	exitReverted  = 4 // the new configuration was tried and reverted
)

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// globals are the flags every command takes.
type globals struct {
	configPath string
	stdout     io.Writer
	stderr     io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(execute(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the CLI and maps its error to an exit code.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "berth:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "berth:", err)
	return exitFailed
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "GitOps pull reconciler for NixOS hosts",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&g.configPath, "config", "c", defaultConfigPath(), "configuration file")
	root.AddCommand(newAgentCmd(g), newRunCmd(g), newStatusCmd(g), newHistoryCmd(g), newCheckConfigCmd(g))
	root.AddCommand(newPublishCmd(g), newBuildFleetCmd(g), newFleetCmd(g), newInitCmd(g), newSecretsCmd(g))
	root.AddCommand(newTriggerCmd(g), newPauseCmd(g), newResumeCmd(g), newRollbackCmd(g), newPostponeCmd(g), newVersionCmd(g), newHubCmd(g))
	withVersion(root)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{exitUsage, err} })
	return root
}

func defaultConfigPath() string {
	if p := os.Getenv("BERTH_CONFIG"); p != "" {
		return p
	}
	return "/etc/berth/config.yaml"
}
