package metrics

import (
	"testing"
	"time"

	"github.com/berth-nix/berth/reconciler"
)

// TestSourceStale: the stale gauge follows trust.max_age and the clock at
// scrape time, not the time of the last reconcile.
func TestSourceStale(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	since := now.Add(-30 * time.Hour)
	tests := []struct {
		name   string
		maxAge time.Duration
		later  time.Duration
		want   float64
	}{
		{"no max age", 0, 0, 0},
		{"same revision within max age", 48 * time.Hour, 0, 0},
		{"same revision beyond max age", 24 * time.Hour, 0, 1},
		{"turns stale with no reconcile", 40 * time.Hour, 12 * time.Hour, 1},
	}
	for _, tt := range tests {
		m := New(live{})
		m.fresh.now = func() time.Time { return now.Add(tt.later) }
		m.SetMaxAge(tt.maxAge)
		m.Init(reconciler.State{LastPoll: now.Add(-time.Hour), LastSeen: "sftp@sha256:1", SeenSince: since, MadeAt: since}, nil)
		fams := scrape(t, m)
		stale, ok := value(fams, "berth_source_stale", nil)
		seen, _ := value(fams, "berth_source_seen_since_timestamp_seconds", nil)
		if !ok || stale != tt.want || seen != float64(since.Unix()) {
			t.Errorf("%s: got stale %v (present %v), seen since %v; want %v and %d", tt.name, stale, ok, seen, tt.want, since.Unix())
		}
	}
}
