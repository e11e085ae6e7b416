package reconciler

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Agent runs reconciles for ever: once at start, then on the schedule (with
// jitter, so a fleet does not poll at once), at once on a trigger, and
// sooner after transient failures (exponential backoff).
type Agent struct {
	Rec      *Reconciler
	Schedule cron.Schedule
	// Jitter delays each scheduled poll by a random duration up to it.
	Jitter time.Duration
	// BackoffMax caps the retry delay after transient failures.
	BackoffMax time.Duration
	// Tick bounds how long the agent sleeps before it compares the wall
	// clock with the next due time again. Timers stop while a laptop
	// sleeps; comparing wall-clock time is what makes the agent catch up
	// at once after a resume. A due time sooner than Tick is waited for
	// exactly.
	Tick time.Duration
	// Status, if set, is told what the agent is doing (sd_notify STATUS).
	Status func(string)
	// Pauses keeps the pause that holds reconciles (see Pause).
	Pauses PauseStore
	// PostponeMax is the longest postpone a member of the control group
	// may ask for; 0 refuses every postpone (postpone.go).
	PostponeMax time.Duration
	// Observer, if set, is told about every reconcile (metrics).
	Observer Observer
	// Defer, if set, is asked before each scheduled or triggered reconcile;
	// true holds it for the reason given (deferral.go).
	Defer func() (bool, string)

	triggers    chan string
	rescheduled chan struct{} // wakes wait when next changes
	once        sync.Once     // makes triggers and rescheduled
	mu          sync.Mutex    // guards the fields below
	next        time.Time
	nextFrom    time.Time // when the reconcile that chose next ended
	running     int       // reconciles running now
	missed      bool
	deferring   bool
}

// Trigger asks for a reconcile now. Triggers that arrive while one is
// already queued are coalesced into it.
func (a *Agent) Trigger(reason string) {
	a.init()
	select {
	case a.triggers <- reason:
	default:
	}
}

func (a *Agent) init() {
	a.once.Do(func() {
		a.triggers = make(chan string, 1)
		a.rescheduled = make(chan struct{}, 1)
	})
}

// Next is when the next reconcile is due, as the last reconcile decided
// (see nextPoll).
func (a *Agent) Next() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.next
}

// Reconciling reports whether a reconcile is running now.
func (a *Agent) Reconciling() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.running > 0
}

// Run reconciles until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	a.init()
	trigger := "start"
	for {
		if a.holds(trigger) || a.deferred(ctx, trigger) {
			a.Rec.Run(ctx, Options{Trigger: trigger, ResumeOnly: true})
			a.setNext(a.Schedule.Next(a.Rec.now()), time.Now())
		} else {
			rep := a.reconcile(ctx, Options{Trigger: trigger})
			if ctx.Err() != nil {
				return nil
			}
			a.status(rep)
		}
		var err error
		if trigger, err = a.wait(ctx); err != nil {
			return nil
		}
	}
}

// reconcile runs one reconcile and lets its result decide when the next
// is due, whoever asked for it: the schedule, a trigger or berth run.
func (a *Agent) reconcile(ctx context.Context, opts Options) Report {
	a.mu.Lock()
	a.running++
	a.mu.Unlock()
	rep := a.Rec.Run(ctx, opts)
	ended := time.Now()
	a.mu.Lock()
	a.running--
	a.mu.Unlock()
	if ctx.Err() == nil {
		var jitter time.Duration
		if a.Jitter > 0 {
			jitter = rand.N(a.Jitter)
		}
		a.setNext(nextPoll(a.Rec.now(), rep.Failures, a.Schedule, jitter, a.BackoffMax), ended)
	}
	a.observe(rep)
	return rep
}

// firstRetry is the delay before the first retry after a transient
// failure; it doubles with each further failure in a row.
const firstRetry = 15 * time.Second

// nextPoll decides when to reconcile next, at now, after a reconcile that
// left failures transient failures in a row (State.FetchFailures, the
// count berth status shows): the schedule's next time plus jitter, or,
// while failures > 0, the retry delay if that is sooner. The delay is
// firstRetry doubled for each further failure, capped at backoffMax.
func nextPoll(now time.Time, failures int, sched cron.Schedule, jitter, backoffMax time.Duration) time.Time {
	next := sched.Next(now).Add(jitter)
	if failures <= 0 {
		return next
	}
	delay := firstRetry
	for i := 1; i < failures && (backoffMax <= 0 || delay < backoffMax); i++ {
		delay *= 2
	}
	if backoffMax > 0 && delay > backoffMax {
		delay = backoffMax
	}
	if retry := now.Add(delay); retry.Before(next) {
		return retry
	}
	return next
}

// wait returns when the next reconcile is due or a trigger arrives. It
// sleeps until the due time, but never longer than tick, so that a wall
// clock that jumped (a resume) is noticed.
func (a *Agent) wait(ctx context.Context) (string, error) {
	for {
		due := a.Next().Sub(a.Rec.now())
		if due <= 0 {
			return "schedule", nil
		}
		if a.pauseEnded() {
			return "pause ended", nil
		}
		if a.deferralEnded() {
			return "deferral ended", nil
		}
		timer := time.NewTimer(min(due, a.tick()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", ctx.Err()
		case reason := <-a.triggers:
			timer.Stop()
			return reason, nil
		case <-a.rescheduled:
			timer.Stop()
		case <-timer.C:
		}
	}
}

func (a *Agent) tick() time.Duration {
	if a.Tick > 0 {
		return a.Tick
	}
	return 30 * time.Second
}

func (a *Agent) status(rep Report) {
	if a.Status == nil {
		return
	}
	msg := rep.Result
	if rep.Revision != "" {
		msg += " " + rep.Revision
	}
	a.Status(msg + "; next poll " + a.Next().Format(time.RFC3339))
}
