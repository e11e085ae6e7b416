package reconciler

import (
	"context"
	"testing"
	"time"
)

func TestFreshness(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	hours := func(h int) time.Time { return now.Add(-time.Duration(h) * time.Hour) }
	tests := []struct {
		name   string
		st     State
		maxAge time.Duration
		stale  bool
		reason string
	}{
		{"no bound", State{LastPoll: hours(100), SeenSince: hours(100)}, 0, false, ""},
		{"fresh", State{LastPoll: hours(1), SeenSince: hours(5), LastSeen: "r"}, 24 * time.Hour, false, ""},
		{"same revision too long", State{LastPoll: hours(1), SeenSince: hours(30), LastSeen: "main@sha1:abc"}, 24 * time.Hour, true, "has answered main@sha1:abc since"},
		{"silent too long", State{LastPoll: hours(30), SeenSince: hours(30)}, 24 * time.Hour, true, "has not answered since"},
		{"never answered", State{FetchFailures: 3}, time.Hour, true, "never answered"},
		{"not tried yet", State{}, time.Hour, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.st.Freshness(now, tt.maxAge)
			if f.Stale != tt.stale || !contains(f.Reason, tt.reason) {
				t.Errorf("got %+v, want stale %v with %q", f, tt.stale, tt.reason)
			}
		})
	}
}

func TestSeenSinceMovesOnlyWithTheRevision(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	src := &fakeSource{art: art("c1", "sha256:d1")}
	r := newRec(t, src, &fakeApplier{res: applied})
	r.Now = func() time.Time { return clock }
	first := clock
	for i := 0; i < 3; i++ {
		r.Run(context.Background(), Options{})
		clock = clock.Add(time.Hour)
	}
	st, _ := r.Store.Load()
	if !st.SeenSince.Equal(first) || !st.LastPoll.Equal(first.Add(2*time.Hour)) {
		t.Fatalf("got seen since %v, last poll %v; want %v and two hours later", st.SeenSince, st.LastPoll, first)
	}
	if f := st.Freshness(clock, 90*time.Minute); !f.Stale {
		t.Errorf("got %+v, want stale after 3h of the same revision with max_age 90m", f)
	}
	src.art = art("c2", "sha256:d2")
	r.Run(context.Background(), Options{})
	st, _ = r.Store.Load()
	if !st.SeenSince.Equal(clock) || st.Freshness(clock, 90*time.Minute).Stale {
		t.Errorf("got seen since %v (%+v), want %v and fresh", st.SeenSince, st.Freshness(clock, 90*time.Minute), clock)
	}
}

func TestSignerIsRecorded(t *testing.T) {
	a := art("c1", "sha256:d1")
	a.Signer = "alice@example.com (ssh ED25519 SHA256:x)"
	r := newRec(t, &fakeSource{art: a}, &fakeApplier{res: applied})
	r.Run(context.Background(), Options{})
	st, _ := r.Store.Load()
	hist, _ := r.History.List()
	if st.Applied == nil || st.Applied.Signer != a.Signer || len(hist) != 1 || hist[0].Signer != a.Signer {
		t.Errorf("got applied %+v, history %+v, want signer %q in both", st.Applied, hist, a.Signer)
	}
}
