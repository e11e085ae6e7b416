package reboot

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// machine records what the scheduler did to it.
type machine struct {
	mu       sync.Mutex
	warned   []time.Time
	reboots  atomic.Int32
	sessions atomic.Int32
}

func (m *machine) warn(at time.Time, _ []string) {
	m.mu.Lock()
	m.warned = append(m.warned, at)
	m.mu.Unlock()
}

func (m *machine) warnings() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.warned)
}

func newScheduler(t *testing.T, window string, delay time.Duration) (*Scheduler, *machine) {
	t.Helper()
	w, err := ParseWindow(window)
	if err != nil {
		t.Fatal(err)
	}
	m := &machine{}
	dir := t.TempDir()
	lock := filepath.Join(dir, "lock")
	s := &Scheduler{
		Policy:   Policy{Window: &w, Delay: delay},
		Needed:   func() (bool, []string) { return true, []string{"kernel"} },
		Sessions: func(context.Context) (int, error) { return int(m.sessions.Load()), nil },
		TryLock:  func() (func(), error) { return TryLock(lock) },
		Reboot:   func(context.Context) error { m.reboots.Add(1); return nil },
		Warn:     m.warn,
		Plans:    PlanStore{Path: filepath.Join(dir, "reboot.json")},
		Now:      noon(),
	}
	return s, m
}

// allDay is a window that contains any time of day but the last minute.
const allDay = "00:00-23:59"

// noon is a clock that runs as fast as the real one from today's local
// noon, so that allDay contains it whenever the test runs.
func noon() func() time.Time {
	start := time.Now()
	y, mo, d := start.Date()
	base := time.Date(y, mo, d, 12, 0, 0, 0, time.Local)
	return func() time.Time { return base.Add(time.Since(start)) }
}

func run(t *testing.T, s *Scheduler) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSchedulerWarnsWaitsAndReboots(t *testing.T) {
	s, m := newScheduler(t, allDay, 300*time.Millisecond)
	stop := run(t, s)
	defer stop()
	s.Kick()
	eventually(t, "a warning", func() bool { return m.warnings() == 1 })
	// The plan is saved before the warning goes out: a user who reads it
	// and runs berth status sees the reboot.
	p, err := s.Plans.Load()
	if err != nil || p == nil || !p.Warned {
		t.Fatalf("plan after the warning: got %+v %v, want a warned plan", p, err)
	}
	if m.reboots.Load() != 0 {
		t.Fatal("rebooted before the delay")
	}
	eventually(t, "the reboot", func() bool { return m.reboots.Load() == 1 })
	if m.warnings() != 1 {
		t.Errorf("warnings: got %d, want 1", m.warnings())
	}
}

func TestSchedulerNeverRebootsDuringAnAttempt(t *testing.T) {
	s, m := newScheduler(t, allDay, 0)
	release, err := s.TryLock() // a reconcile is running
	if err != nil {
		t.Fatal(err)
	}
	s.warning = s.Now().Add(-time.Second) // warned, delay over
	if next := s.step(context.Background()); m.reboots.Load() != 0 || next.Sub(s.Now()) > lockRetry {
		t.Fatalf("while locked: got %d reboots, next decision %v, want none and a retry soon", m.reboots.Load(), next)
	}
	release()
	s.step(context.Background())
	if m.reboots.Load() != 1 {
		t.Fatalf("after the attempt: got %d reboots, want 1", m.reboots.Load())
	}
	if _, err := s.TryLock(); err == nil {
		t.Error("the reconcile lock was released after the reboot request; want it kept")
	}
}

func TestSchedulerWaitsForSessions(t *testing.T) {
	s, m := newScheduler(t, allDay, 0)
	m.sessions.Store(1)
	s.step(context.Background())
	if m.reboots.Load() != 0 || m.warnings() != 0 {
		t.Fatalf("with a user logged in: got %d reboots, %d warnings, want none", m.reboots.Load(), m.warnings())
	}
	p, _ := s.Plans.Load()
	if p == nil || p.String() != "pending: waiting for 1 user session(s) to end" {
		t.Errorf("plan: got %v, want pending on the session", p)
	}
	m.sessions.Store(0)
	s.step(context.Background()) // warn, the delay is zero
	s.step(context.Background())
	if m.reboots.Load() != 1 {
		t.Errorf("after the session ended: got %d reboots, want 1", m.reboots.Load())
	}
}

func TestSchedulerOutsideTheWindow(t *testing.T) {
	now := time.Date(2024, 6, 10, 12, 0, 0, 0, time.Local)
	s, m := newScheduler(t, "03:00-05:00", time.Minute)
	s.Now = func() time.Time { return now }
	next := s.step(context.Background())
	want := time.Date(2024, 6, 11, 3, 0, 0, 0, time.Local)
	if !next.Equal(want) || m.reboots.Load() != 0 || m.warnings() != 0 {
		t.Fatalf("got next %v, %d reboots, %d warnings; want %v and nothing done", next, m.reboots.Load(), m.warnings(), want)
	}
	p, _ := s.Plans.Load()
	if p == nil || !p.At.Equal(want.Add(time.Minute)) || p.Warned {
		t.Errorf("plan: got %+v, want the window's opening plus the delay, not warned", p)
	}
}

func TestSchedulerNotNeededClearsThePlan(t *testing.T) {
	s, _ := newScheduler(t, "03:00-05:00", time.Minute)
	s.Now = func() time.Time { return time.Date(2024, 6, 10, 12, 0, 0, 0, time.Local) }
	s.step(context.Background())
	s.Needed = func() (bool, []string) { return false, nil }
	if next := s.step(context.Background()); !next.IsZero() {
		t.Errorf("next decision: got %v, want none until kicked", next)
	}
	if p, _ := s.Plans.Load(); p != nil {
		t.Errorf("plan: got %+v, want none", p)
	}
}
