package gitsource

import (
	"context"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
)

var _ source.Prober = (*Source)(nil)

// TestHTTPProbeUsesItsOwnConnection: polls share go-git's idle HTTP
// connections; every probe must open a new one, with the host's token,
// so that a reachability check after a switch sees what a new
// connection meets.
func TestHTTPProbeUsesItsOwnConnection(t *testing.T) {
	h := newHTTPRemote(t)
	ctx := context.Background()
	if _, err := h.src.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	before := h.srv.Conns()
	if _, err := h.src.Poll(ctx); err != nil || h.srv.Conns() != before {
		t.Fatalf("a poll opened a new connection (%v): the probe test below would prove nothing", err)
	}
	for i := range 2 {
		if err := h.src.Probe(ctx); err != nil {
			t.Fatalf("probe %d: %v", i, err)
		}
	}
	if got := h.srv.Conns() - before; got < 2 {
		t.Errorf("two probes opened %d new connections, want one each", got)
	}

	writeFile(t, h.token, "wrong-token")
	wantClass(t, h.src.Probe(ctx), fault.Transient, "refused our credentials")
	writeFile(t, h.token, "good-token")
	h.srv.SetDown(true)
	wantClass(t, h.src.Probe(ctx), fault.Transient, h.srv.URL())
	h.srv.SetDown(false)

	cfg := h.src.cfg
	cfg.Branch = "release"
	wantClass(t, newSource(t, cfg).Probe(ctx), fault.Stalling, `branch "release" does not exist`)
}
