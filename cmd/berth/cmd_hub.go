package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-nix/berth/hub"
	"github.com/berth-nix/berth/hub/store"
)

func newHubCmd(g *globals) *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "hub",
		Short: "Run the hub: reports, instant pulls, the fleet page and the audit log",
		Long: `Serve the hub the hub configuration describes (docs/hub.md): agents post
their reports to it and hold an outbound event stream on which it tells them
to poll; forge webhooks arrive at it; admins read the fleet on its page, its
JSON API and with the subcommands below. It never pushes configurations.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHub(cmd.Context(), g, configPath)
		},
	}
	cmd.Flags().StringVar(&configPath, "hub-config", defaultHubConfigPath(), "hub configuration file")
	cmd.AddCommand(newHubTriggerCmd(g), newHubKeysCmd(g), newHubAuditCmd(g), newHubRolloutCmd(g))
	return cmd
}

func defaultHubConfigPath() string {
	if p := os.Getenv("BERTH_HUB_CONFIG"); p != "" {
		return p
	}
	return hub.DefaultConfigPath
}

func runHub(ctx context.Context, g *globals, path string) error {
	cfg, err := hub.LoadConfig(path)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	return hub.Serve(ctx, cfg, newLogger(g.stderr, "info"), nil)
}

func newHubTriggerCmd(g *globals) *cobra.Command {
	var o hubClientOptions
	var all bool
	cmd := &cobra.Command{
		Use:   "trigger HOST...|--all",
		Short: "Tell hosts connected to the hub to poll now",
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return &exitError{exitUsage, fmt.Errorf("name hosts or give --all, not both")}
			}
			var res hub.TriggerResult
			if err := o.call(cmd.Context(), "POST", "/v1/trigger", map[string]any{"hosts": args, "all": all}, &res); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "notified: %s\n", orNone(res.Notified))
			if len(res.Offline) > 0 {
				fmt.Fprintf(g.stdout, "offline (they poll on their schedule): %s\n", strings.Join(res.Offline, " "))
			}
			return nil
		},
	}
	o.flags(cmd.Flags())
	cmd.Flags().BoolVar(&all, "all", false, "every host the hub knows")
	return cmd
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

func newHubKeysCmd(g *globals) *cobra.Command {
	var o hubClientOptions
	var role string
	var asJSON bool
	keys := &cobra.Command{Use: "keys", Short: "List, add and delete the hub's API keys (admin role)", Args: cobra.NoArgs}
	list := &cobra.Command{Use: "list", Short: "List API keys", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct{ Keys []hub.KeyInfo }
			if err := o.call(cmd.Context(), "GET", "/v1/keys", nil, &res); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(g.stdout, res)
			}
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tROLE\tSOURCE\tCREATED")
			for _, k := range res.Keys {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k.Name, k.Role, k.Source, stamp(k.Created))
			}
			return w.Flush()
		}}
	add := &cobra.Command{Use: "add NAME --role read|operate|admin", Short: "Make an API key; its secret is printed once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var k hub.NewKey
			if err := o.call(cmd.Context(), "POST", "/v1/keys", map[string]string{"name": args[0], "role": role}, &k); err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, k.Secret)
			return nil
		}}
	add.Flags().StringVar(&role, "role", store.RoleRead, "read, operate or admin")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	del := &cobra.Command{Use: "delete NAME", Short: "Delete an API key", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.call(cmd.Context(), "DELETE", "/v1/keys/"+url.PathEscape(args[0]), nil, nil)
		}}
	for _, c := range []*cobra.Command{list, add, del} {
		o.flags(c.Flags())
		keys.AddCommand(c)
	}
	return keys
}

func newHubAuditCmd(g *globals) *cobra.Command {
	var o hubClientOptions
	var since, action, target string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the hub's audit log, newest first (admin role)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"since": {since}, "action": {action}, "target": {target}, "limit": {fmt.Sprint(limit)}}
			var res struct{ Entries []store.Entry }
			if err := o.call(cmd.Context(), "GET", "/v1/audit?"+q.Encode(), nil, &res); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(g.stdout, res)
			}
			return printAudit(g.stdout, res.Entries)
		},
	}
	o.flags(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&since, "since", "24h", "entries newer than this duration or RFC 3339 time")
	f.StringVar(&action, "action", "", "only this action (report, webhook, trigger, key.add, auth.denied, ...)")
	f.StringVar(&target, "target", "", "only this target (a host, a key, a branch)")
	f.IntVar(&limit, "limit", 200, "at most this many entries")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printAudit(out io.Writer, entries []store.Entry) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tACTOR\tACTION\tTARGET\tDETAIL")
	for _, e := range entries {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", stamp(e.At), e.Actor, e.Action, e.Target, e.Detail)
	}
	return w.Flush()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
