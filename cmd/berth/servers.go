package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/internal/webhook"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/control"
	"github.com/berth-nix/berth/reconciler/metrics"
)

// pauseStore is where the pause lives: beside the state file, so that it
// survives restarts and can be set while no agent runs.
func pauseStore(c *config.Config) reconciler.PauseStore {
	return reconciler.PauseStore{Path: filepath.Join(c.StateDir, "pause.json")}
}

// startServers opens the control socket and, when enabled, the metrics
// and webhook listeners, and serves them until ctx ends. Everything is
// opened before the first reconcile, so a second agent, a port in use or
// an unreadable secret stops the agent before it touches anything.
func startServers(ctx context.Context, c *config.Config, a *reconciler.Agent, log *slog.Logger) error {
	l, err := control.Listen(c.Control.Socket, c.Control.Group)
	if err != nil {
		return err
	}
	srv := &control.Server{Backend: control.AgentBackend{Agent: a}, Group: c.Control.Group, Log: log}
	go func() { logServeError(log, "control socket", srv.Serve(ctx, l)) }()
	if c.Metrics.Enabled {
		if err := startMetrics(ctx, c, a, log); err != nil {
			return err
		}
	}
	if c.Webhook.Enabled {
		return startWebhook(ctx, c, a, log)
	}
	return nil
}

func startMetrics(ctx context.Context, c *config.Config, a *reconciler.Agent, log *slog.Logger) error {
	m := metrics.New(a)
	m.SetMaxAge(c.Trust.MaxAge)
	st, _ := a.Rec.Store.Load()
	hist, _ := a.Rec.History.List()
	m.Init(st, hist)
	a.Observer = m
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	l, err := listenTCP("metrics", c.Metrics.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: time.Minute}
	serveHTTP(ctx, "metrics", srv, l, "", "", log)
	return nil
}

func startWebhook(ctx context.Context, c *config.Config, a *reconciler.Agent, log *slog.Logger) error {
	w := c.Webhook
	var sourceBranch string
	if c.Source.Git != nil {
		sourceBranch = c.Source.Git.Branch
	}
	h, err := w.Handler(sourceBranch, webhookTrigger(a, log), log)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	mux := http.NewServeMux()
	mux.Handle("/webhook", h)
	l, err := listenTCP("webhook", w.Listen)
	if err != nil {
		return err
	}
	srv, l := webhook.NewServer(l, mux, webhook.DefaultLimits)
	serveHTTP(ctx, "webhook", srv, l, w.TLSCertFile, w.TLSKeyFile, log)
	return nil
}

// webhookTrigger queues a reconcile unless a pause holds them; a held
// webhook is not remembered (the pause's end polls anyway).
func webhookTrigger(a *reconciler.Agent, log *slog.Logger) func(string) {
	return func(reason string) {
		if err := (control.AgentBackend{Agent: a}).Trigger(reason); err != nil {
			log.Info("webhook trigger held", "err", err)
		}
	}
}

// listenTCP listens on addr now, so that a port in use stops the agent
// before its first reconcile.
func listenTCP(name, addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listener: %w", name, err)
	}
	return l, nil
}

// serveHTTP serves srv on l until ctx ends; with cert and key it serves
// HTTPS.
func serveHTTP(ctx context.Context, name string, srv *http.Server, l net.Listener, cert, key string, log *slog.Logger) {
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go func() {
		if cert != "" {
			logServeError(log, name, srv.ServeTLS(l, cert, key))
		} else {
			logServeError(log, name, srv.Serve(l))
		}
	}()
	log.Info(name+" listening", "addr", l.Addr().String(), "tls", cert != "")
}

func logServeError(log *slog.Logger, name string, err error) {
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error(name+" stopped", "err", err)
	}
}
