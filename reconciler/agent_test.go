package reconciler

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
	"github.com/robfig/cron/v3"
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
	mu    sync.Mutex
	err   error
}

func (s *countingSource) setErr(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

func (s *countingSource) Poll(ctx context.Context) (string, error) {
	s.polls.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return "main@sha1:c1", s.err
}

func (s *countingSource) Fetch(context.Context) (source.Artifact, error) {
	return art("c1", "sha256:d1"), nil
}

func startAgent(t *testing.T, src source.Source, c *clock) (*Agent, func()) {
	t.Helper()
	rec := newRec(t, &fakeSource{}, &fakeApplier{res: applied})
	rec.Source, rec.Now = src, c.now
	return runAgent(t, rec, time.Hour, 5*time.Millisecond)
}

// runAgent runs an agent for rec on a schedule of every, until the
// returned function stops it.
func runAgent(t *testing.T, rec *Reconciler, every, tick time.Duration) (*Agent, func()) {
	t.Helper()
	sched, _ := cronEvery(every)
	a := &Agent{Rec: rec, Schedule: sched, BackoffMax: time.Hour, Tick: tick}
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

// TestNextPoll: the next due time follows the failure count berth status
// shows: the schedule (plus jitter) with none, the doubling retry delay
// capped at backoff_max with some, whichever is sooner.
func TestNextPoll(t *testing.T) {
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	hourly, _ := cronEvery(time.Hour)
	every2s, _ := cronEvery(2 * time.Second)
	tests := []struct {
		name     string
		sched    cron.Schedule
		failures int
		jitter   time.Duration
		want     time.Duration
	}{
		{"no failure", hourly, 0, 0, time.Hour},
		{"no failure, jitter", hourly, 0, 7 * time.Second, time.Hour + 7*time.Second},
		{"one failure", hourly, 1, 0, 15 * time.Second},
		{"three failures", hourly, 3, 0, time.Minute},
		{"capped", hourly, 30, 0, 20 * time.Minute},
		{"schedule sooner than the retry", every2s, 4, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		if got := nextPoll(now, tt.failures, tt.sched, tt.jitter, 20*time.Minute).Sub(now); got != tt.want {
			t.Errorf("%s: next poll in %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestAgentBacksOffAfterTransientRevert: a transient failure during the
// switch (a full disk, say) reverts the attempt; the agent retries soon,
// as berth status says, instead of waiting for the hourly schedule.
func TestAgentBacksOffAfterTransientRevert(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	src := &countingSource{}
	rec := newRec(t, &fakeSource{}, &fakeApplier{res: activate.Result{Outcome: activate.Reverted, Phase: activate.PhaseTest,
		Err: fault.Transientf("write /etc/x: no space left on device")}})
	rec.Source, rec.Now = src, c.now
	a, stop := runAgent(t, rec, time.Hour, 5*time.Millisecond)
	defer stop()
	waitPolls(t, src, 1)
	waitScheduled(t, a)
	st, _ := rec.Store.Load()
	if wait := a.Next().Sub(c.now()); wait != firstRetry || st.FetchFailures != 1 {
		t.Errorf("after a transient revert: next poll in %s with %d failures in state, want %s and 1", wait, st.FetchFailures, firstRetry)
	}
}

// TestRunNowDecidesTheNextPoll: a reconcile asked for with berth run
// (through the control socket) moves the next poll like any other: a
// transient failure brings the retry forward, a success puts the schedule
// back.
func TestRunNowDecidesTheNextPoll(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	src := &countingSource{}
	a, stop := startAgent(t, src, c)
	defer stop()
	waitPolls(t, src, 1)
	waitScheduled(t, a)
	if wait := a.Next().Sub(c.now()); wait != time.Hour {
		t.Fatalf("after a good start: next poll in %s, want 1h", wait)
	}
	src.setErr(fault.Transientf("dial tcp: connection refused"))
	if rep := a.RunNow(context.Background(), Options{Trigger: "cli"}); rep.Failures != 1 {
		t.Fatalf("got %+v, want one failure", rep)
	}
	if wait := a.Next().Sub(c.now()); wait != firstRetry {
		t.Errorf("after berth run failed: next poll in %s, want %s", wait, firstRetry)
	}
	src.setErr(nil)
	a.RunNow(context.Background(), Options{Trigger: "cli"})
	if wait := a.Next().Sub(c.now()); wait != time.Hour {
		t.Errorf("after berth run succeeded: next poll in %s, want 1h", wait)
	}
}

// TestAgentKeepsAShortSchedule: with the default tick (30s, as the agent
// runs) and a real clock, "@every 2s" polls every 2 seconds.
func TestAgentKeepsAShortSchedule(t *testing.T) {
	src := &countingSource{}
	rec := newRec(t, &fakeSource{}, &fakeApplier{res: applied})
	rec.Source = src
	a, stop := runAgent(t, rec, 2*time.Second, 0)
	defer stop()
	time.Sleep(5500 * time.Millisecond)
	if got := src.polls.Load(); got < 3 || got > 4 {
		t.Errorf("got %d polls in 5.5s with @every 2s, want 3 (at start, 2s, 4s)", got)
	}
	if due := time.Until(a.Next()); due < 0 || due > 2*time.Second {
		t.Errorf("next poll in %s, want within the next 2s", due)
	}
}
