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
	h := c.Hub
	if h.URL == "" {
		return nil, nil
	}
	httpc, err := hubclient.NewHTTPClient(h.TLSCertFile, h.TLSKeyFile, h.CAFile)
	if err != nil {
		return nil, err
	}
	return &hubclient.Client{URL: h.URL, TokenFile: h.TokenFile, HTTP: httpc, Log: log.With("hub", h.URL)}, nil
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
