package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/berth-nix/berth/internal/buildinfo"
	"github.com/berth-nix/berth/reconciler/control"
)

func newVersionCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print berth's version, VCS revision and time, and Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runVersion(g.stdout, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func runVersion(out io.Writer, asJSON bool) error {
	bi := buildinfo.Read()
	if asJSON {
		return writeJSON(out, bi)
	}
	_, err := io.WriteString(out, bi.Long())
	return err
}

// withVersion makes `berth --version` print what `berth version` prints.
func withVersion(root *cobra.Command) {
	root.Version = buildinfo.Read().String()
	root.SetVersionTemplate(buildinfo.Read().Long())
}

// printBuild is status's line saying which berth answered: the agent, or
// this command when no agent runs.
func printBuild(w io.Writer, s control.Status) {
	if s.Build == nil {
		return
	}
	who := ""
	if !s.Agent {
		who = "; this command's, not the agent's"
	}
	fmt.Fprintf(w, "berth\t%s (%s%s)\n", s.Build, s.Build.GoVersion, who)
}
