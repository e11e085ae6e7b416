package main

import (
	"context"
	"log/slog"

	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/hubclient"
)

// newHubClient is the agent's connection to its hub; nil without one.
func newHubClient(c *config.Config, log *slog.Logger) (*hubclient.Client, error) {
	return c.Hub.Client(log)
}

// startHubStream holds the hub's event stream until ctx ends; its "poll
// now" is a trigger like the webhook's (held while paused).
func startHubStream(ctx context.Context, hc *hubclient.Client, a *reconciler.Agent, log *slog.Logger) {
	if hc == nil {
		return
	}
	hc.Trigger = webhookTrigger(a, log)
	go hc.Run(ctx)
}
