package reconciler

import (
	"context"
	"time"
)

// Observer is told about every reconcile the agent runs, after its state
// was saved; metrics implement it. Reconciled must return quickly.
type Observer interface {
	Reconciled(rep Report, st State)
}

// Pause holds scheduled and triggered reconciles until resumed or, when d
// is positive, for d. The pause is saved before Pause returns, so it holds
// across restarts; an attempt already running is not interrupted.
func (a *Agent) Pause(d time.Duration, by string) (Pause, error) {
	now := a.Rec.now()
	p := Pause{Since: now, By: by}
	if d > 0 {
		p.Until = now.Add(d)
	}
	if err := a.Pauses.Save(p); err != nil {
		return p, err
	}
	a.Rec.log().Info("reconciles paused", "until", untilText(p), "by", by)
	return p, nil
}

// Resume ends a pause and asks for a reconcile at once.
func (a *Agent) Resume() error {
	if err := a.Pauses.Clear(); err != nil {
		return err
	}
	a.Rec.log().Info("reconciles resumed")
	a.mu.Lock()
	a.missed = false // the trigger below makes up for what the pause held
	a.mu.Unlock()
	a.Trigger("unpause")
	return nil
}

// Paused returns the pause in force now, or nil. An unreadable pause file
// counts as a pause: holding is the safe reading of a pause nobody can see.
func (a *Agent) Paused() *Pause {
	p, err := a.Pauses.Load()
	if err != nil {
		a.Rec.log().Error("cannot read the pause file; holding reconciles", "err", err)
		return &Pause{}
	}
	if !p.ActiveAt(a.Rec.now()) {
		return nil
	}
	return p
}

// RunNow reconciles at once, outside the schedule and regardless of a
// pause (someone asked for exactly this run), and reports it like any
// other: its result decides when the next reconcile is due, as a
// scheduled one's does. It waits for a reconcile already running to
// finish first.
func (a *Agent) RunNow(ctx context.Context, opts Options) Report {
	a.init()
	return a.reconcile(ctx, opts)
}

// holds reports whether a pause stops the reconcile trigger asked for; a
// held scheduled reconcile is remembered and made up for when the pause
// ends.
func (a *Agent) holds(trigger string) bool {
	p := a.Holding()
	if p == nil {
		return false
	}
	a.mu.Lock()
	a.missed = true
	a.mu.Unlock()
	a.Rec.log().Info("reconcile held by pause", "trigger", trigger, "until", untilText(*p))
	if a.Status != nil {
		a.Status("paused until " + untilText(*p))
	}
	return true
}

// pauseEnded reports, once, that reconciles were held and no longer are.
func (a *Agent) pauseEnded() bool {
	a.mu.Lock()
	missed := a.missed
	a.mu.Unlock()
	if !missed || a.Paused() != nil {
		return false
	}
	a.mu.Lock()
	a.missed = false
	a.mu.Unlock()
	return true
}

func (a *Agent) observe(rep Report) {
	if a.Observer == nil {
		return
	}
	st, _, err := a.Rec.CurrentState()
	if err != nil {
		a.Rec.log().Warn("cannot read state for metrics", "err", err)
	}
	a.Observer.Reconciled(rep, st)
}

// setNext sets the next due time chosen by a reconcile that ended at
// ended (monotonic time), unless a later-ended reconcile already chose,
// and wakes wait to look at it.
func (a *Agent) setNext(t, ended time.Time) {
	a.mu.Lock()
	if ended.Before(a.nextFrom) {
		a.mu.Unlock()
		return
	}
	a.next, a.nextFrom = t, ended
	a.mu.Unlock()
	select {
	case a.rescheduled <- struct{}{}:
	default:
	}
}

func untilText(p Pause) string {
	if p.Until.IsZero() {
		return "resumed"
	}
	return p.Until.Format(time.RFC3339)
}
