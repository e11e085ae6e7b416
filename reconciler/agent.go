package reconciler

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/cenkalti/backoff/v5"
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
	// Tick is how often the agent compares the wall clock with the next
	// due time. Timers stop while a laptop sleeps; comparing wall-clock
	// time is what makes the agent catch up at once after a resume.
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

	triggers  chan string
	once      sync.Once  // makes triggers
	mu        sync.Mutex // guards next, missed and deferring
	next      time.Time
	missed    bool
	deferring bool
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
	a.once.Do(func() { a.triggers = make(chan string, 1) })
}

// Next is when the next scheduled reconcile is due.
func (a *Agent) Next() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.next
}

// Run reconciles until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	a.init()
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = 15*time.Second, a.BackoffMax
	bo.Reset()
	trigger := "start"
	for {
		if a.holds(trigger) || a.deferred(ctx, trigger) {
			a.Rec.Run(ctx, Options{Trigger: trigger, ResumeOnly: true})
			a.setNext(a.Schedule.Next(a.Rec.now()))
		} else {
			rep := a.Rec.Run(ctx, Options{Trigger: trigger})
			if ctx.Err() != nil {
				return nil
			}
			a.setNext(a.after(rep, bo))
			a.observe(rep)
			a.status(rep)
		}
		var err error
		if trigger, err = a.wait(ctx); err != nil {
			return nil
		}
	}
}

// after picks the next due time from a reconcile's result.
func (a *Agent) after(rep Report, bo *backoff.ExponentialBackOff) time.Time {
	now := a.Rec.now()
	if rep.Err != nil && rep.Result == ResultFailed && fault.ClassOf(rep.Err) != fault.Stalling {
		return now.Add(bo.NextBackOff())
	}
	bo.Reset()
	next := a.Schedule.Next(now)
	if a.Jitter > 0 {
		next = next.Add(rand.N(a.Jitter))
	}
	return next
}

// wait returns when the next reconcile is due or a trigger arrives.
func (a *Agent) wait(ctx context.Context) (string, error) {
	tick := time.NewTicker(a.tick())
	defer tick.Stop()
	for {
		if !a.Rec.now().Before(a.Next()) {
			return "schedule", nil
		}
		if a.pauseEnded() {
			return "pause ended", nil
		}
		if a.deferralEnded() {
			return "deferral ended", nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case reason := <-a.triggers:
			return reason, nil
		case <-tick.C:
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
