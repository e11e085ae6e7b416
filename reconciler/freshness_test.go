package reconciler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
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
		{"no bound", State{LastPoll: hours(100), MadeAt: hours(100)}, 0, false, ""},
		{"fresh", State{LastPoll: hours(1), MadeAt: hours(5), LastSeen: "r"}, 24 * time.Hour, false, ""},
		{"newest revision too old", State{LastPoll: hours(1), MadeAt: hours(30), SeenSince: hours(1), LastSeen: "main@sha1:abc"}, 24 * time.Hour, true, "newest revision accepted from the source was made at"},
		{"old state without made at", State{LastPoll: hours(1), Applied: &Revision{At: hours(30)}}, 24 * time.Hour, true, "was made at"},
		{"silent too long", State{LastPoll: hours(30), MadeAt: hours(30)}, 24 * time.Hour, true, "has not answered since"},
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

// signedArt is a verified artifact made at made.
func signedArt(rev, digest string, made time.Time) source.Artifact {
	a := art(rev, digest)
	a.LastUpdateTime, a.Signer = made, "admin (ssh ED25519 SHA256:x)"
	return a
}

// TestRefusedPushesDoNotKeepTheSourceFresh: whoever controls the git
// server pushes an unsigned commit every 12 hours; each is refused at
// fetch. The revision string changes each time, but nothing verified is
// newer than the applied commit, so after a week the source is stale.
func TestRefusedPushesDoNotKeepTheSourceFresh(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	src := &fakeSource{art: signedArt("c1", "sha256:d1", clock.Add(-time.Hour))}
	r := newRec(t, src, &fakeApplier{res: applied})
	r.Now = func() time.Time { return clock }
	if rep := r.Run(context.Background(), Options{}); rep.Result != ResultApplied {
		t.Fatalf("got %s (%v), want c1 applied", rep.Result, rep.Err)
	}
	for i := 0; i < 14; i++ {
		clock = clock.Add(12 * time.Hour)
		rev := fmt.Sprintf("evil%d", i)
		src.art, src.fetchErr = art(rev, ""), fault.Stallingf("refused main@sha1:%s: commit is not signed", rev)
		if rep := r.Run(context.Background(), Options{}); rep.Result == ResultApplied {
			t.Fatalf("unsigned push %s applied", rev)
		}
	}
	st, _ := r.Store.Load()
	if f := st.Freshness(clock, 24*time.Hour); !f.Stale || !contains(f.Reason, "newest revision accepted from the source was made at 2026-03-01T11:00:00Z") {
		t.Errorf("after 7 days of refused pushes got %+v, want stale since the signed c1", f)
	}
	if f := ReportFreshness(readReport(t, r), clock, 24*time.Hour); !f.Stale {
		t.Errorf("the report judged %+v, want stale too", f)
	}
}

// TestFrozenManifestWithBogusRevisionIsStale: the SFTP server keeps a
// validly signed manifest, published long ago, and a revision file that
// names something else, so every poll looks like news. The manifest's
// signed publish time decides: after 5 days of polls the source is stale.
func TestFrozenManifestWithBogusRevisionIsStale(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	frozen := signedArt("m1", "sha256:d1", clock.Add(-2*time.Hour))
	frozen.Revision, frozen.Commit = "sftp@sha256:frozen", ""
	src := &fakeSource{art: frozen, pollRev: "sftp@sha256:bogus"}
	r := newRec(t, src, &fakeApplier{res: applied})
	r.Now = func() time.Time { return clock }
	for i := 0; i < 10; i++ {
		want := ResultUnchanged
		if i == 0 {
			want = ResultApplied
		}
		if rep := r.Run(context.Background(), Options{}); rep.Result != want {
			t.Fatalf("poll %d: got %s (%v), want %s", i, rep.Result, rep.Err, want)
		}
		clock = clock.Add(12 * time.Hour)
	}
	st, _ := r.Store.Load()
	if f := st.Freshness(clock, 24*time.Hour); !f.Stale {
		t.Errorf("after ten polls of a frozen manifest got %+v, want stale", f)
	}
	if src.fetches != 10 {
		t.Errorf("got %d fetches, want every poll to fetch (the revision file never matches)", src.fetches)
	}
}

// TestNewSignedRevisionsKeepTheSourceFresh: what makes a source fresh is
// a newly made revision that passed every check; a future date counts as
// now.
func TestNewSignedRevisionsKeepTheSourceFresh(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	src := &fakeSource{art: signedArt("c1", "sha256:d1", clock.Add(-30*time.Hour))}
	r := newRec(t, src, &fakeApplier{res: applied})
	r.Now = func() time.Time { return clock }
	r.Run(context.Background(), Options{})
	if st, _ := r.Store.Load(); !st.Freshness(clock, 24*time.Hour).Stale {
		t.Errorf("a revision made 30h ago: got fresh, want stale under max_age 24h")
	}
	src.art = signedArt("c2", "sha256:d1", clock.Add(-time.Hour)) // an empty signed commit
	r.Run(context.Background(), Options{})
	if st, _ := r.Store.Load(); st.Freshness(clock, 24*time.Hour).Stale || !st.MadeAt.Equal(clock.Add(-time.Hour)) {
		t.Errorf("after a new signed commit got made at %v, want fresh from %v", st.MadeAt, clock.Add(-time.Hour))
	}
	src.art = signedArt("c3", "sha256:d1", clock.AddDate(10, 0, 0))
	r.Run(context.Background(), Options{})
	if st, _ := r.Store.Load(); !st.MadeAt.Equal(clock) || !st.Freshness(clock.Add(25*time.Hour), 24*time.Hour).Stale {
		t.Errorf("a commit dated 10 years ahead: got made at %v, want now (%v), stale a day later", st.MadeAt, clock)
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
