package metrics

import (
	"sync"
	"time"

	"github.com/berth-nix/berth/reconciler"
	"github.com/prometheus/client_golang/prometheus"
)

// freshness judges the source at scrape time, from the last state the
// agent reported, so that a source that stops answering, or keeps
// answering nothing newer, turns stale while the agent sleeps
// between polls.
type freshness struct {
	mu     sync.Mutex
	st     reconciler.State
	maxAge time.Duration
	now    func() time.Time
}

func (f *freshness) set(st reconciler.State) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st = st
}

// stale is 1 when the source is stale under maxAge (never with none).
func (f *freshness) stale() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return boolValue(f.st.Freshness(f.now(), f.maxAge).Stale)
}

func (f *freshness) seenSince() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return seconds(f.st.SeenSince)
}

// SetMaxAge sets trust.max_age, the bound berth_source_stale judges
// against; zero (the default) means the source is never stale.
func (m *Metrics) SetMaxAge(d time.Duration) {
	m.fresh.mu.Lock()
	defer m.fresh.mu.Unlock()
	m.fresh.maxAge = d
}

func (m *Metrics) registerFreshness() {
	m.fresh = &freshness{now: time.Now}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "berth_source_stale",
		Help: "1 when the source has not answered, or the newest revision accepted from it was made, longer than trust.max_age ago."},
		m.fresh.stale))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "berth_source_seen_since_timestamp_seconds",
		Help: "When the source first answered the revision it answers now."},
		m.fresh.seenSince))
}
