package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/berth-nix/berth/fleetinit"
)

// initOptions are the flags of `berth init`.
type initOptions struct {
	Hosts       []string
	AddHost     string
	URL, Branch string
}

func newInitCmd(g *globals) *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init DIR --host NAME... | init [DIR] --add-host NAME",
		Short: "Write a fleet repository, or add a host to one (admin side)",
		Long: `Writes a fleet repository into DIR (which may exist, e.g. a fresh clone):
a README, the shared modules in modules/common/ (the berth agent, flakes,
garbage collection) and, for each --host, hosts/NAME/ with its flake pinned
to ` + fleetinit.NixOSRelease + `, configuration.nix, a hardware-configuration.nix
placeholder, the symlink common -> ../../modules/common, an example files/
entry with files.yaml, and berth-checks.yaml. With --add-host it adds one
host to the repository in DIR (default: the current directory). It never
overwrites: when a path it would write exists, it names it and writes
nothing. The agent configuration is not read.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(g.stdout, o, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.Hosts, "host", nil, "host to write a directory for (repeatable)")
	f.StringVar(&o.AddHost, "add-host", "", "add this host to an existing fleet repository")
	f.StringVar(&o.URL, "url", fleetinit.DefaultURL, "git URL the agents fetch from, written into modules/common/berth.nix")
	f.StringVar(&o.Branch, "branch", fleetinit.DefaultBranch, "branch the agents follow")
	return cmd
}

func runInit(out io.Writer, o initOptions, args []string) error {
	dir := "."
	if len(args) == 1 {
		dir = args[0]
	}
	var err error
	switch {
	case o.AddHost != "" && len(o.Hosts) > 0:
		return &exitError{exitUsage, errors.New("init: --host and --add-host do not go together")}
	case o.AddHost != "":
		err = fleetinit.AddHost(dir, o.AddHost)
		o.Hosts = []string{o.AddHost}
	case len(args) == 0:
		return &exitError{exitUsage, errors.New("init: name the directory to write (berth init DIR --host NAME)")}
	default:
		err = fleetinit.Init(fleetinit.Options{Dir: dir, Hosts: o.Hosts, URL: o.URL, Branch: o.Branch})
	}
	if err != nil {
		return &exitError{exitFailed, err}
	}
	for _, h := range o.Hosts {
		fmt.Fprintf(out, "wrote %s\n", fleetinit.HostDir(h))
	}
	fmt.Fprintf(out, "next, for each host: on it, nixos-generate-config --show-hardware-config > %s/hardware-configuration.nix;\n",
		fleetinit.HostDir("<host>"))
	fmt.Fprintln(out, "nix flake lock in its directory; then git add everything and commit (docs/getting-started.md)")
	return nil
}
