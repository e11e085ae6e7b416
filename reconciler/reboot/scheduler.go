package reboot

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Scheduler carries out the policy in the agent: told after every
// reconcile (Kick), it decides, warns, waits and reboots. It never
// reboots during an attempt: the reboot is made while holding the
// reconcile lock.
type Scheduler struct {
	Policy Policy
	// Needed reports whether the running system needs a reboot and why.
	Needed func() (bool, []string)
	// Sessions counts active or online user sessions.
	Sessions func(ctx context.Context) (int, error)
	// Held reports whether reconciles are paused; nil never holds.
	Held func() bool
	// TryLock takes the reconcile lock without waiting; it fails while an
	// attempt runs.
	TryLock func() (release func(), err error)
	// Reboot restarts the machine.
	Reboot func(ctx context.Context) error
	// Warn tells the users the machine reboots at the given time; best
	// effort, nil does nothing.
	Warn  func(at time.Time, why []string)
	Plans PlanStore
	Log   *slog.Logger
	// Now is time.Now unless a test replaces it.
	Now func() time.Time

	once     sync.Once
	kick     chan struct{}
	warning  time.Time
	plan     Plan
	rebooted func() // releases the lock held since a reboot was asked for
}

// lockRetry is how soon a due reboot is tried again when an attempt holds
// the lock; failRetry after the reboot request itself failed or the
// machine did not go down.
const (
	lockRetry = 10 * time.Second
	failRetry = 10 * time.Minute
)

// Kick asks the scheduler to decide again now (after a reconcile). Kicks
// that arrive while one is pending are folded into it.
func (s *Scheduler) Kick() {
	s.init()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Scheduler) init() { s.once.Do(func() { s.kick = make(chan struct{}, 1) }) }

// Run decides whenever kicked or when the last decision said to, until
// ctx ends. The saved plan lives as long as Run: a stopped agent reboots
// nothing, so status must not say it will.
func (s *Scheduler) Run(ctx context.Context) {
	s.init()
	s.Plans.Clear()
	defer s.Plans.Clear()
	var next time.Time
	for {
		kicked, err := s.sleep(ctx, next)
		if err != nil {
			return
		}
		if kicked || (!next.IsZero() && !s.now().Before(next)) {
			next = s.step(ctx)
		}
	}
}

// sleep returns on a kick, or after at most a minute when a decision is
// due: timers stop while a laptop sleeps, so the due time is compared
// with the wall clock, as the agent does.
func (s *Scheduler) sleep(ctx context.Context, next time.Time) (kicked bool, err error) {
	var wake <-chan time.Time
	if !next.IsZero() {
		t := time.NewTimer(min(next.Sub(s.now()), time.Minute))
		defer t.Stop()
		wake = t.C
	}
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-s.kick:
		return true, nil
	case <-wake:
		return false, nil
	}
}

// step makes one decision and acts on it; it returns when to decide
// again, zero for "when kicked".
func (s *Scheduler) step(ctx context.Context) time.Time {
	if s.rebooted != nil {
		s.rebooted()
		s.rebooted = nil
		s.log().Error("the machine did not go down after the reboot request; deciding again")
	}
	needed, why := s.Needed()
	d := s.Policy.Decide(Facts{Now: s.now(), Needed: needed, Held: s.Held != nil && s.Held(),
		Sessions: s.sessions(ctx), Announced: s.warning})
	s.warning = d.Warning
	switch d.Action {
	case Idle:
		s.save(nil)
		return time.Time{}
	case Reboot:
		return s.reboot(ctx, why)
	}
	// Saved before the users are warned, so that berth status shows the
	// plan a warning tells them about.
	s.save(&Plan{At: d.Expected, Warned: !d.Warning.IsZero(), Why: d.Why})
	if d.Action == Announce {
		s.log().Warn("reboot scheduled", "at", d.At, "why", strings.Join(why, ", "))
		if s.Warn != nil {
			s.Warn(d.At, why)
		}
	}
	return d.At
}

// sessions counts user sessions; when they cannot be counted, one is
// assumed, so that an unknown user is never thrown out.
func (s *Scheduler) sessions(ctx context.Context) int {
	if s.Policy.AllowWithSessions || s.Sessions == nil {
		return 0
	}
	n, err := s.Sessions(ctx)
	if err != nil {
		s.log().Warn("cannot count user sessions; holding the reboot", "err", err)
		return 1
	}
	return n
}

// reboot takes the reconcile lock, checks the need once more (an attempt
// that just ended may have changed it) and reboots. The lock is kept after
// a successful request, so no attempt starts while the machine goes down.
func (s *Scheduler) reboot(ctx context.Context, why []string) time.Time {
	release, err := s.TryLock()
	if err != nil {
		s.log().Info("reboot due, waiting for the running attempt", "err", err)
		return s.now().Add(lockRetry)
	}
	if needed, _ := s.Needed(); !needed {
		release()
		s.warning = time.Time{}
		s.save(nil)
		return time.Time{}
	}
	s.log().Warn("rebooting", "why", strings.Join(why, ", "))
	s.save(&Plan{At: s.now(), Warned: true, Why: "rebooting now"})
	if err := s.Reboot(ctx); err != nil {
		release()
		s.warning = time.Time{}
		s.log().Error("reboot failed", "err", err)
		return s.now().Add(failRetry)
	}
	s.rebooted = release
	return s.now().Add(failRetry)
}

// save writes the plan when it changed; nil clears it.
func (s *Scheduler) save(p *Plan) {
	var err error
	switch {
	case p == nil && s.plan != (Plan{}):
		s.plan, err = Plan{}, s.Plans.Clear()
	case p != nil && *p != s.plan:
		s.plan, err = *p, s.Plans.Save(*p)
	}
	if err != nil {
		s.log().Error("cannot save the reboot plan", "err", err)
	}
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Scheduler) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
