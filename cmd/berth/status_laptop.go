package main

import (
	"fmt"
	"io"
	"time"

	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/reconciler"
)

// addRebootPlan adds the running agent's reboot plan to r. A plan is only
// shown when the agent answered: a stopped agent reboots nothing.
func addRebootPlan(r *rebootInfo, c *config.Config, s status) {
	if r == nil || !r.Needed || !s.Agent {
		return
	}
	r.Plan, _ = rebootPlans(c).Load()
}

func printRebootPlan(out io.Writer, r *rebootInfo) {
	if r != nil && r.Plan != nil {
		fmt.Fprintf(out, "reboot         %s\n", r.Plan)
	}
}

// printDeferral says that reconciles are held because of the machine's
// power, since when, and why.
func printDeferral(out io.Writer, d *reconciler.Deferral) {
	if d == nil {
		return
	}
	fmt.Fprintf(out, "deferred       since %s: %s\n", d.Since.Local().Format("2006-01-02 15:04:05"), d.Reason)
	fmt.Fprintf(out, "               (reconciles wait for mains power; berth run applies now; checked %s ago)\n",
		time.Since(d.Checked).Round(time.Second))
}

// printGated says that a new configuration waits for its rollout wave,
// or for a hub that cannot be reached.
func printGated(out io.Writer, g *reconciler.Gated) {
	if g == nil {
		return
	}
	what := "waiting for its rollout wave"
	if g.Unreachable {
		what = "waiting for the hub (unreachable)"
	}
	fmt.Fprintf(out, "rollout        %s %s since %s: %s\n", g.Revision, what, g.Since.Local().Format("2006-01-02 15:04:05"), g.Reason)
}
