package main

import (
	"context"
	"time"

	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/source"
	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/spf13/cobra"
)

func newAgentCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "agent",
		Short: "Run the reconcile loop as a daemon",
		Long: `Reconcile at start, then on the configured schedule with jitter, catching up
at once after the machine wakes from sleep. Runs until SIGTERM; an attempt
interrupted by the stop is finished or reverted at the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAgent(cmd.Context(), g)
		},
	}
}

func runAgent(ctx context.Context, g *globals) error {
	c, err := loadConfig(g)
	if err != nil {
		return err
	}
	log := newLogger(g.stderr, c.Log.Level)
	source.LimitMemory()
	d, err := wire(ctx, c, log)
	if err != nil {
		return err
	}
	defer d.Close()
	a := newAgent(c, d.rec)
	a.Status = func(s string) { daemon.SdNotify(false, "STATUS="+s) }
	if err := startServers(ctx, c, a, log); err != nil {
		return err
	}
	startLaptop(ctx, c, a, log)
	startHubStream(ctx, d.hub, a, log)
	go watchdog(ctx)
	daemon.SdNotify(false, daemon.SdNotifyReady)
	log.Info("agent started", "host", c.Hostname, "schedule", c.Schedule.Cron, "source", d.describe)
	err = a.Run(ctx)
	daemon.SdNotify(false, daemon.SdNotifyStopping)
	return err
}

func newAgent(c *config.Config, rec *reconciler.Reconciler) *reconciler.Agent {
	a := c.Schedule.Agent(rec, pauseStore(c))
	a.PostponeMax = c.Control.PostponeMax
	return a
}

// watchdog pings systemd's watchdog, when the unit enables it, from its own
// goroutine: a long build must not look like a hang.
func watchdog(ctx context.Context) {
	every, err := daemon.SdWatchdogEnabled(false)
	if err != nil || every == 0 {
		return
	}
	t := time.NewTicker(every / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			daemon.SdNotify(false, daemon.SdNotifyWatchdog)
		}
	}
}
