package reconciler

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
)

// clock is a wall clock a test can move, as a suspend and resume does.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) jump(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingSource counts polls and can hold them until released.
type countingSource struct {
	polls atomic.Int32
	gate  chan struct{} // when non-nil, each Poll waits for a receive
	err   error
}

func (s *countingSource) Poll(ctx context.Context) (string, error) {
	s.polls.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
		}
	}
	return "main@sha1:c1", s.err
}

func (s *countingSource) Fetch(context.Context) (source.Artifact, error) {
	return art("c1", "sha256:d1"), nil
}

func startAgent(t *testing.T, src source.Source, c *clock) (*Agent, func()) {
	t.Helper()
	rec := newRec(t, &fakeSource{}, &fakeApplier{res: applied})
	rec.Source, rec.Now = src, c.now
	sched, _ := cronEvery(time.Hour)
	a := &Agent{Rec: rec, Schedule: sched, BackoffMax: time.Hour, Tick: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	return a, func() { cancel(); <-done }
}

func waitPolls(t *testing.T, s *countingSource, n int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.polls.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d polls, want %d", s.polls.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAgentCatchesUpAfterSuspend(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	src := &countingSource{}
	a, stop := startAgent(t, src, c)
	defer stop()
	waitPolls(t, src, 1) // the poll at start
	waitScheduled(t, a)
	if got := src.polls.Load(); got != 1 {
		t.Fatalf("got %d polls before the schedule was due, want 1", got)
	}
	c.jump(3 * time.Hour) // the laptop slept through the hourly poll
	waitPolls(t, src, 2)
}

func TestAgentCoalescesTriggers(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	src := &countingSource{gate: make(chan struct{})}
	a, stop := startAgent(t, src, c)
	defer stop()
	waitPolls(t, src, 1)
	for range 5 {
		a.Trigger("webhook")
	}
	src.gate <- struct{}{} // finish the start-up poll
	waitPolls(t, src, 2)
	src.gate <- struct{}{} // finish the one coalesced poll
	time.Sleep(50 * time.Millisecond)
	if got := src.polls.Load(); got != 2 {
		t.Errorf("got %d polls for 5 triggers during one reconcile, want 2 in all", got)
	}
	close(src.gate)
}

func TestAgentBacksOffAfterTransientFailure(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	src := &countingSource{err: fault.Transientf("dial tcp: connection refused")}
	a, stop := startAgent(t, src, c)
	defer stop()
	waitPolls(t, src, 1)
	waitScheduled(t, a)
	wait := a.Next().Sub(c.now())
	if wait < 5*time.Second || wait > 30*time.Second {
		t.Errorf("next poll in %s after a transient failure, want a short backoff (about 15s), not the hourly schedule", wait)
	}
	c.jump(wait)
	waitPolls(t, src, 2)
}

// waitScheduled waits until the agent has finished its first reconcile and
// chosen when the next is due.
func waitScheduled(t *testing.T, a *Agent) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for a.Next().IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("the agent never scheduled its next reconcile")
		}
		time.Sleep(time.Millisecond)
	}
}
