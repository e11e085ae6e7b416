package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/berth-nix/berth/config"
)

func newCheckConfigCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check-config",
		Short: "Validate the configuration file and print what it resolves to",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheckConfig(g, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print every key with its resolved value (defaults filled in) as JSON")
	return cmd
}

func runCheckConfig(g *globals, asJSON bool) error {
	c, err := loadConfig(g)
	if err != nil {
		return err
	}
	if asJSON {
		return writeResolved(g, c)
	}
	fmt.Fprintf(g.stdout, "%s: ok\n", g.configPath)
	fmt.Fprintf(g.stdout, "host       %s\n", c.Hostname)
	fmt.Fprintf(g.stdout, "source     %s\n", describeSource(c))
	fmt.Fprintf(g.stdout, "host dir   %s\n", c.Expand(c.Source.HostDir))
	fmt.Fprintf(g.stdout, "attribute  %s\n", c.Expand(c.Nix.Attribute))
	fmt.Fprintf(g.stdout, "schedule   %s\n", c.Schedule)
	fmt.Fprintf(g.stdout, "preflight  %s\n", c.Activate.Preflight)
	fmt.Fprintf(g.stdout, "state dir  %s\n", c.StateDir)
	return nil
}

// loadConfig reads the configuration; a bad file is a usage error.
func loadConfig(g *globals) (*config.Config, error) {
	c, err := config.Load(g.configPath)
	if err != nil {
		return nil, &exitError{exitUsage, err}
	}
	return c, nil
}

// describeSource names the configured source without any secret.
func describeSource(c *config.Config) string {
	switch {
	case c.Source.Git != nil:
		return c.Source.Git.String()
	case c.Source.SFTP != nil:
		return c.Source.SFTP.String()
	}
	return "none"
}

// writeResolved prints the configuration with every default filled in,
// under the same key names as the file. It holds paths to secrets, never
// secrets.
func writeResolved(g *globals, c *config.Config) error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return err
	}
	return writeJSON(g.stdout, m)
}
