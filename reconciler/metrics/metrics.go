// Package metrics exposes the agent's reconciles to Prometheus. It is fed
// by the agent as a reconciler.Observer and reads the pause and the next
// poll when scraped; the metric names are documented in docs/metrics.md.
package metrics

import (
	"net/http"
	"time"

	"github.com/berth-nix/berth/internal/buildinfo"
	"github.com/berth-nix/berth/reconciler"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Live is what metrics read from the running agent at scrape time.
type Live interface {
	Paused() *reconciler.Pause
	Next() time.Time
}

// Metrics holds the agent's metrics in their own registry.
type Metrics struct {
	reg         *prometheus.Registry
	lastPoll    prometheus.Gauge
	lastApply   prometheus.Gauge
	lastAttempt prometheus.Gauge
	lastResult  *prometheus.GaugeVec
	reconciles  *prometheus.CounterVec
	phases      *prometheus.HistogramVec
	applied     *prometheus.GaugeVec
	seen        *prometheus.GaugeVec
	reboot      prometheus.Gauge
	failures    prometheus.Gauge
	drift       prometheus.Gauge
	fresh       *freshness
}

var _ reconciler.Observer = (*Metrics)(nil)

// phaseBuckets span a quick switch to a long build.
var phaseBuckets = []float64{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200}

// New registers every metric, with the pause and next poll read from live.
func New(live Live) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.lastPoll = m.gauge("berth_last_poll_timestamp_seconds", "When the source last answered a poll.")
	m.lastApply = m.gauge("berth_last_apply_timestamp_seconds", "When a new configuration was last applied and promoted.")
	m.lastAttempt = m.gauge("berth_last_reconcile_timestamp_seconds", "When the last reconcile ended, whatever its result.")
	m.reboot = m.gauge("berth_reboot_needed", "1 when the applied system's kernel, initrd or modules differ from the booted ones.")
	m.failures = m.gauge("berth_consecutive_failures", "Transient failures (poll, fetch, build, lock) in a row; 0 after a success.")
	m.drift = m.gauge("berth_drift", "1 while the running system is not the one berth applied (a manual switch or rollback).")
	m.lastResult = m.gaugeVec("berth_last_result", "1 for the result and phase of the last reconcile.", "result", "phase")
	m.applied = m.gaugeVec("berth_applied_info", "1 for the configuration that runs and is the boot default.", "revision", "digest", "toplevel")
	m.seen = m.gaugeVec("berth_seen_info", "1 for the revision the source last answered.", "revision")
	m.reconciles = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "berth_reconciles_total", Help: "Reconciles by result."}, []string{"result"})
	m.phases = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "berth_phase_duration_seconds",
		Help: "Duration of each phase of an attempt.", Buckets: phaseBuckets}, []string{"phase"})
	m.reg.MustRegister(m.reconciles, m.phases, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.live(live)
	m.registerFreshness()
	m.registerBuild(buildinfo.Read())
	return m
}

func (m *Metrics) live(live Live) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "berth_paused", Help: "1 while a pause holds reconciles."},
		func() float64 { return boolValue(live.Paused() != nil) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "berth_next_poll_timestamp_seconds", Help: "When the next scheduled poll is due."},
		func() float64 { return seconds(live.Next()) }))
}

func (m *Metrics) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	m.reg.MustRegister(g)
	return g
}

func (m *Metrics) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	m.reg.MustRegister(g)
	return g
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// seconds is a timestamp for Prometheus; an unknown time is 0.
func seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
