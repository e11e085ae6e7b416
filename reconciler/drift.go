package reconciler

import (
	"context"
	"errors"

	"github.com/berth-nix/berth/internal/fault"
)

// Drift policies (drift.policy).
const (
	DriftReport  = "report"
	DriftReapply = "reapply"
	DriftHold    = "hold"
)

// checkDrift compares the running system with the applied one before
// every poll. It records the drift in state and, by DriftPolicy, lets the
// reconcile go on (report), applies the branch again (reapply), or stops
// it (hold).
func (r *Reconciler) checkDrift(ctx context.Context, w *run) error {
	if r.Running == nil || w.st.Applied == nil || w.st.Applied.Toplevel == "" {
		return nil
	}
	running, err := r.Running()
	if err != nil {
		r.log().Warn("cannot read the running system", "err", err)
		return nil
	}
	if rb := w.st.RolledBack; rb != nil {
		// Whatever ended the rollback's pause asks for the branch again.
		w.reapply = true
		if running == rb.System {
			return nil
		}
	}
	if running == w.st.Applied.Toplevel || w.st.awaitingReboot() {
		if w.st.Drift != nil {
			r.log().Info("the running system is the applied one again", "system", running)
			w.st.Drift = nil
		}
		return nil
	}
	if d := w.st.Drift; d == nil || d.Running != running || d.Applied != w.st.Applied.Toplevel {
		w.st.Drift = &Drift{Running: running, Applied: w.st.Applied.Toplevel, Since: r.now()}
		r.log().Warn("the running system is not the one berth applied", "running", running, "applied", w.st.Applied.Toplevel, "policy", r.driftPolicy())
	}
	switch r.driftPolicy() {
	case DriftReapply:
		w.reapply = true
	case DriftHold:
		w.result, w.reason = ResultUnchanged, "the running system is not the applied one; drift.policy hold applies nothing (berth run --retry re-applies)"
		if !w.opts.Retry {
			w.rev = w.st.Settled // nothing was polled: keep what is settled
			return fault.AsNoOp(errors.New(w.reason))
		}
	}
	return nil
}

func (r *Reconciler) driftPolicy() string {
	if r.DriftPolicy == "" {
		return DriftReport
	}
	return r.DriftPolicy
}
