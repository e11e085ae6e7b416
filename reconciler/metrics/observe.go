package metrics

import (
	"github.com/berth-nix/berth/reconciler"
)

// Init sets the metrics from what an earlier agent left: the state file and
// the attempt history, newest first. Counters and histograms start at zero.
func (m *Metrics) Init(st reconciler.State, history []reconciler.Attempt) {
	m.fromState(st)
	for _, a := range history {
		if a.Result == reconciler.ResultApplied {
			m.lastApply.Set(seconds(a.Finished))
			m.reboot.Set(boolValue(a.Reboot))
			break
		}
	}
}

// Reconciled records one reconcile; st is the state saved after it.
func (m *Metrics) Reconciled(rep reconciler.Report, st reconciler.State) {
	m.reconciles.WithLabelValues(rep.Result).Inc()
	if a := rep.Attempt; a != nil {
		for phase, d := range a.Durations {
			m.phases.WithLabelValues(phase).Observe(d)
		}
		if rep.Result == reconciler.ResultApplied {
			m.lastApply.Set(seconds(a.Finished))
			m.reboot.Set(boolValue(a.Reboot))
		}
	}
	m.fromState(st)
}

// fromState sets the gauges the state file answers for.
func (m *Metrics) fromState(st reconciler.State) {
	m.fresh.set(st)
	m.lastPoll.Set(seconds(st.LastPoll))
	m.failures.Set(float64(st.FetchFailures))
	m.drift.Set(boolValue(st.Drift != nil))
	m.applied.Reset()
	if a := st.Applied; a != nil {
		m.applied.WithLabelValues(a.Revision, a.Digest, a.Toplevel).Set(1)
	}
	m.seen.Reset()
	if st.LastSeen != "" {
		m.seen.WithLabelValues(st.LastSeen).Set(1)
	}
	m.lastResult.Reset()
	if l := st.Last; l != nil {
		m.lastResult.WithLabelValues(l.Result, phaseOf(l)).Set(1)
		m.lastAttempt.Set(seconds(l.At))
	}
}

// phaseOf names where the last reconcile ended: the attempt's phase, or
// "source" for a failure before any attempt (poll, fetch, lineage).
func phaseOf(l *reconciler.Summary) string {
	if l.Phase != "" {
		return l.Phase
	}
	if l.Result == reconciler.ResultFailed || l.Result == reconciler.ResultRefused {
		return "source"
	}
	return ""
}
