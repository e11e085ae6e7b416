package reconciler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-nix/berth/source"
)

// ResultWaiting is the result of a reconcile that found a new
// configuration but may not apply it yet: its rollout wave has not
// opened, or the hub that decides cannot be asked (docs/rollouts.md).
const ResultWaiting = "waiting"

// Gate decides whether a new configuration may be applied now. Admit
// returns false with the reason to wait; an error means it could not
// decide (the hub is unreachable), which also waits, up to MaxWait.
type Gate interface {
	Admit(ctx context.Context, art source.Artifact) (ok bool, reason string, err error)
}

// Gated is recorded in state while a configuration waits at the gate;
// status shows it.
type Gated struct {
	Revision string    `json:"revision"`
	Since    time.Time `json:"since"`
	Reason   string    `json:"reason"`
	// Unreachable says the gate could not be asked.
	Unreachable bool `json:"unreachable,omitempty"`
}

// errWaiting ends a reconcile held at the gate: nothing is settled, so
// the next poll asks again.
var errWaiting = errors.New("waiting at the rollout gate")

// gate asks Gate before the apply step. A gate that cannot answer holds
// the configuration until GateMaxWait has passed since it first waited
// (zero: forever), then lets it through, saying so.
func (r *Reconciler) gate(ctx context.Context, w *run) error {
	if r.Gate == nil || w.opts.Retry {
		return nil
	}
	ok, why, err := r.Gate.Admit(ctx, w.art)
	g := w.st.Gated
	if g == nil || g.Revision != w.art.Revision {
		g = &Gated{Revision: w.art.Revision, Since: r.now()}
	}
	if err != nil {
		why = fmt.Sprintf("cannot ask the hub: %v", err)
		if r.GateMaxWait > 0 && r.now().Sub(g.Since) >= r.GateMaxWait {
			r.log().Warn("applying without the hub's answer: hub.max_wait has passed", "revision", w.art.Revision, "waited", r.now().Sub(g.Since).Round(time.Second), "err", err)
			ok = true
		}
	}
	if ok {
		w.st.Gated = nil
		return nil
	}
	g.Reason, g.Unreachable = why, err != nil
	w.st.Gated = g
	w.result, w.reason = ResultWaiting, why
	r.log().Info("configuration waits for its rollout wave", "revision", w.art.Revision, "reason", why)
	return errWaiting
}
