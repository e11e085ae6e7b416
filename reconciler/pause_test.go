package reconciler

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestPauseActiveAt(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		p    *Pause
		want bool
	}{
		{"none", nil, false},
		{"until resumed", &Pause{Since: now.Add(-time.Hour)}, true},
		{"not yet expired", &Pause{Until: now.Add(time.Second)}, true},
		{"expires now", &Pause{Until: now}, false},
		{"expired", &Pause{Until: now.Add(-time.Second)}, false},
	}
	for _, tt := range tests {
		if got := tt.p.ActiveAt(now); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPauseStoreRoundTrip(t *testing.T) {
	s := PauseStore{Path: filepath.Join(t.TempDir(), "pause.json")}
	if p, err := s.Load(); p != nil || err != nil {
		t.Fatalf("empty store: got %v, %v, want nil, nil", p, err)
	}
	want := Pause{Since: time.Unix(100, 0).UTC(), Until: time.Unix(200, 0).UTC(), By: "uid 0"}
	if err := s.Save(want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load()
	if err != nil || got == nil || *got != want {
		t.Fatalf("got %v, %v, want %v", got, err, want)
	}
	if err := s.Clear(); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(); err != nil {
		t.Fatalf("clearing twice: %v", err)
	}
	if p, _ := s.Load(); p != nil {
		t.Fatalf("after clear: got %v, want nil", p)
	}
}

func TestCorruptPauseFileHolds(t *testing.T) {
	a := newAgent(t)
	if err := os.WriteFile(a.Pauses.Path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if a.Paused() == nil {
		t.Fatal("got no pause from a corrupt pause file, want a hold")
	}
}

func newAgent(t *testing.T) *Agent {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	rec := newRec(t, src, &fakeApplier{res: applied})
	sched, _ := cron.ParseStandard("@every 1h")
	return &Agent{Rec: rec, Schedule: sched, Tick: 10 * time.Millisecond,
		Pauses: PauseStore{Path: filepath.Join(filepath.Dir(rec.Store.Path), "pause.json")}}
}

func TestAgentHoldsWhilePausedAndCatchesUpWhenThePauseExpires(t *testing.T) {
	a := newAgent(t)
	src := a.Rec.Source.(*fakeSource)
	// A pause saved by an earlier agent holds this one from its start.
	earlier := &Agent{Rec: a.Rec, Pauses: a.Pauses}
	if _, err := earlier.Pause(400*time.Millisecond, "uid 0"); err != nil {
		t.Fatal(err)
	}
	var seen []Report
	var mu sync.Mutex
	a.Observer = observerFunc(func(rep Report, _ State) { mu.Lock(); seen = append(seen, rep); mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	time.Sleep(150 * time.Millisecond)
	a.Trigger("webhook")
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	held := len(seen)
	mu.Unlock()
	time.Sleep(500 * time.Millisecond)
	cancel()
	<-done
	if held != 0 {
		t.Errorf("reconciles while paused: got %d, want 0", held)
	}
	if len(seen) != 1 || src.polls != 1 {
		t.Fatalf("reconciles after the pause expired: got %d (%d polls), want 1", len(seen), src.polls)
	}
	if a.Next().Sub(time.Now()) < 50*time.Minute {
		t.Errorf("next poll: got %v, want about an hour away", a.Next())
	}
}

func TestResumeTriggersAtOnce(t *testing.T) {
	a := newAgent(t)
	if _, err := a.Pause(0, "uid 0"); err != nil {
		t.Fatal(err)
	}
	runs := make(chan Report, 4)
	a.Observer = observerFunc(func(rep Report, _ State) { runs <- rep })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	select {
	case rep := <-runs:
		t.Fatalf("reconciled while paused: %v", rep.Result)
	case <-time.After(200 * time.Millisecond):
	}
	if err := a.Resume(); err != nil {
		t.Fatal(err)
	}
	select {
	case rep := <-runs:
		if rep.Result != ResultApplied {
			t.Errorf("got %v, want %v", rep.Result, ResultApplied)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reconcile after resume")
	}
	if a.Paused() != nil {
		t.Error("still paused after resume")
	}
}

type observerFunc func(Report, State)

func (f observerFunc) Reconciled(rep Report, st State) { f(rep, st) }
