// Package hubtest runs a real berth hub for tests of the packages around
// it (the agent's client, the CLI, e2e scenarios): served in-process on a
// loopback address it keeps across restarts.
package hubtest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-nix/berth/hub"
)

// Hub is a running hub.
type Hub struct {
	Config hub.Config
	// URL is http://ADDR, or https:// when the config has a certificate.
	URL  string
	t    testing.TB
	stop func()
}

// FreeAddr is a loopback address nothing listens on right now.
func FreeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Secret writes content to dir/name, mode 0600, and returns its path.
func Secret(t testing.TB, dir, name, content string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Start serves cfg (on a free loopback address when cfg.Listen is the
// default) until the test ends.
func Start(t testing.TB, cfg hub.Config) *Hub {
	if cfg.Listen == hub.DefaultConfig().Listen {
		cfg.Listen = FreeAddr(t)
	}
	scheme := "http://"
	if cfg.TLSCertFile != "" {
		scheme = "https://"
	}
	h := &Hub{Config: cfg, URL: scheme + cfg.Listen, t: t}
	h.Start()
	t.Cleanup(h.Stop)
	return h
}

// Start serves the hub again after Stop, at the same address and on the
// same database.
func (h *Hub) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- hub.Serve(ctx, &h.Config, log, func(string) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		h.t.Fatalf("hub: %v", err)
	}
	h.stop = func() { cancel(); <-done }
}

// Stop stops the hub; stopping a stopped hub does nothing.
func (h *Hub) Stop() {
	if h.stop != nil {
		h.stop()
		h.stop = nil
	}
}
