package reconciler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/berth-nix/berth/source"
)

// gateFunc is a Gate from a function: the decision logic under test is
// the reconciler's, not the hub's.
type gateFunc func(source.Artifact) (bool, string, error)

func (f gateFunc) Admit(_ context.Context, a source.Artifact) (bool, string, error) { return f(a) }

func TestGateHoldsARevisionUntilItsWaveOpens(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	app := &fakeApplier{res: applied}
	r := newRec(t, src, app)
	open := false
	r.Gate = gateFunc(func(source.Artifact) (bool, string, error) { return open, "wave canary has not finished", nil })
	ctx := context.Background()
	for range 2 {
		if rep := r.Run(ctx, Options{}); rep.Result != ResultWaiting || rep.Err != nil || app.applies != 0 {
			t.Fatalf("gate closed: got %q (%v) with %d applies, want waiting and none", rep.Result, rep.Err, app.applies)
		}
	}
	st, _ := r.Store.Load()
	if st.Gated == nil || st.Gated.Reason != "wave canary has not finished" || st.Settled != "" || st.FetchFailures != 0 {
		t.Fatalf("state while waiting: gated %+v, settled %q, failures %d", st.Gated, st.Settled, st.FetchFailures)
	}
	open = true
	if rep := r.Run(ctx, Options{}); rep.Result != ResultApplied || app.applies != 1 {
		t.Fatalf("gate open: got %q with %d applies, want applied", rep.Result, app.applies)
	}
	if st, _ := r.Store.Load(); st.Gated != nil {
		t.Errorf("applied, but state still says gated: %+v", st.Gated)
	}
}

// unreachableGate is a reconciler whose gate always fails with err, on
// a clock the test moves.
func unreachableGate(t *testing.T, err error) (*Reconciler, *fakeApplier, *time.Time) {
	app := &fakeApplier{res: applied}
	r := newRec(t, &fakeSource{art: art("c1", "sha256:d1")}, app)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r.Now = func() time.Time { return now }
	r.Gate = gateFunc(func(source.Artifact) (bool, string, error) { return false, "", err })
	return r, app, &now
}

func TestUnreachableGateWaitsUpToMaxWait(t *testing.T) {
	r, app, now := unreachableGate(t, errors.New("connection refused"))
	r.GateMaxWait = time.Hour
	ctx := context.Background()
	if rep := r.Run(ctx, Options{}); rep.Result != ResultWaiting || app.applies != 0 {
		t.Fatalf("hub down: got %q with %d applies, want waiting", rep.Result, app.applies)
	}
	st, _ := r.Store.Load()
	if st.Gated == nil || !st.Gated.Unreachable || st.Gated.Reason != "cannot ask the hub: connection refused" || !st.Gated.Since.Equal(*now) {
		t.Fatalf("state: got %+v, want unreachable since now", st.Gated)
	}
	*now = now.Add(59 * time.Minute)
	if rep := r.Run(ctx, Options{}); rep.Result != ResultWaiting {
		t.Fatalf("after 59m: got %q, want waiting", rep.Result)
	}
	if st, _ := r.Store.Load(); !st.Gated.Since.Equal(now.Add(-59 * time.Minute)) {
		t.Errorf("the wait restarted: since %v", st.Gated.Since)
	}
	*now = now.Add(time.Minute)
	if rep := r.Run(ctx, Options{}); rep.Result != ResultApplied || app.applies != 1 {
		t.Fatalf("after max_wait: got %q with %d applies, want applied", rep.Result, app.applies)
	}
}

func TestUnreachableGateWithoutMaxWaitWaitsForEver(t *testing.T) {
	r, app, now := unreachableGate(t, errors.New("timeout"))
	r.Run(context.Background(), Options{})
	*now = now.Add(1000 * time.Hour)
	if rep := r.Run(context.Background(), Options{}); rep.Result != ResultWaiting || app.applies != 0 {
		t.Fatalf("got %q with %d applies, want waiting", rep.Result, app.applies)
	}
}
