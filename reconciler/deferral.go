package reconciler

import (
	"context"
	"time"

	"github.com/berth-nix/berth/report"
)

// ResultDeferred is the history result of a reconcile the agent held
// because of the machine's condition (running on battery).
const ResultDeferred = report.ResultDeferred

// Deferral is recorded in state while the agent holds scheduled and
// triggered reconciles because Agent.Defer said so; status shows it.
type Deferral struct {
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
	// Checked is when the condition was last seen holding.
	Checked time.Time `json:"checked"`
}

// deferred asks Defer whether the reconcile trigger asked for must wait,
// and records the answer. Like a pause, a deferral still lets the caller
// finish an interrupted attempt; unlike a pause, it lifts itself (see
// deferralEnded) and a reconcile follows at once.
func (a *Agent) deferred(ctx context.Context, trigger string) bool {
	if a.Defer == nil {
		return false
	}
	hold, why := a.Defer()
	a.mu.Lock()
	a.deferring = hold
	a.mu.Unlock()
	if err := a.Rec.recordDeferral(ctx, hold, why, trigger); err != nil {
		a.Rec.log().Error("cannot record the deferral in state", "err", err)
	}
	if hold {
		a.Rec.log().Info("reconcile deferred", "trigger", trigger, "reason", why)
		if a.Status != nil {
			a.Status("deferred: " + why)
		}
	}
	return hold
}

// deferralEnded reports whether reconciles were deferred and the reason
// no longer holds.
func (a *Agent) deferralEnded() bool {
	a.mu.Lock()
	deferring := a.deferring
	a.mu.Unlock()
	if !deferring {
		return false
	}
	hold, _ := a.Defer()
	return !hold
}

// recordDeferral sets or clears State.Deferred under the reconcile lock;
// the first deferral of a streak is also added to history, so a laptop
// that spends a day on battery has one entry, not one per poll.
func (r *Reconciler) recordDeferral(ctx context.Context, hold bool, why, trigger string) error {
	unlock, err := lockFile(ctx, r.LockPath)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := r.Store.Load()
	if err != nil || (!hold && st.Deferred == nil) {
		return err
	}
	if !hold {
		st.Deferred = nil
		return r.Store.Save(st)
	}
	now := r.now()
	if st.Deferred == nil {
		st.Deferred = &Deferral{Since: now}
		r.addDeferred(trigger, why, st)
	}
	st.Deferred.Reason, st.Deferred.Checked = why, now
	return r.Store.Save(st)
}

func (r *Reconciler) addDeferred(trigger, why string, st State) {
	r.seq++
	now := r.now()
	att := Attempt{ID: newID(now, r.seq), Host: r.Host, Trigger: trigger, Revision: st.LastSeen,
		Result: ResultDeferred, Error: why, Started: now, Finished: now}
	if err := r.History.Add(att); err != nil {
		r.log().Error("cannot record history", "err", err)
	}
}
