package reconciler

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// onBattery is a Defer hook a test can switch.
type onBattery struct{ on atomic.Bool }

func (b *onBattery) check() (bool, string) {
	if b.on.Load() {
		return true, "on battery: BAT0 at 40% discharging"
	}
	return false, ""
}

func TestAgentDefersOnBatteryAndCatchesUpOnMains(t *testing.T) {
	a := newAgent(t)
	src := a.Rec.Source.(*fakeSource)
	bat := &onBattery{}
	bat.on.Store(true)
	a.Defer = bat.check
	runs := make(chan Report, 4)
	a.Observer = observerFunc(func(rep Report, _ State) { runs <- rep })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(100 * time.Millisecond)
	a.Trigger("webhook")
	select {
	case rep := <-runs:
		t.Fatalf("reconciled on battery: %v", rep.Result)
	case <-time.After(200 * time.Millisecond):
	}
	st, _ := a.Rec.Store.Load()
	if st.Deferred == nil || st.Deferred.Reason != "on battery: BAT0 at 40% discharging" {
		t.Fatalf("state while deferred: got %+v, want a deferral with its reason", st.Deferred)
	}
	hist, _ := a.Rec.History.List()
	if len(hist) != 1 || hist[0].Result != ResultDeferred || hist[0].Trigger != "start" {
		t.Fatalf("history: got %+v, want one deferred entry for the streak", hist)
	}
	bat.on.Store(false)
	select {
	case rep := <-runs:
		if rep.Result != ResultApplied || src.polls != 1 {
			t.Errorf("got %v after %d polls, want %v after 1", rep.Result, src.polls, ResultApplied)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reconcile once back on mains")
	}
	if st, _ := a.Rec.Store.Load(); st.Deferred != nil {
		t.Errorf("state after the deferral ended: got %+v, want none", st.Deferred)
	}
}

func TestNoDeferHookNeverDefers(t *testing.T) {
	a := newAgent(t)
	if a.deferred(context.Background(), "schedule") {
		t.Fatal("deferred without a Defer hook")
	}
	if a.deferralEnded() {
		t.Fatal("a deferral ended that never began")
	}
}
