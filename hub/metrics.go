package hub

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics exposes the fleet as the hub sees it, computed at scrape time
// from the store, plus counters of the hub's own work.
type metrics struct {
	s        *Server
	handler  http.Handler
	hosts    *prometheus.Desc
	age      *prometheus.Desc
	conns    *prometheus.Desc
	notifies prometheus.Counter
	halts    prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{s: s,
		hosts: prometheus.NewDesc("berth_hub_hosts", "Hosts by state (up-to-date, pending, failed, reverted, stale, no-report).", []string{"state"}, nil),
		age:   prometheus.NewDesc("berth_hub_report_age_seconds", "Seconds since each host's last report.", []string{"host"}, nil),
		conns: prometheus.NewDesc("berth_hub_agents_connected", "Agents holding an event stream to the hub.", nil, nil),
		notifies: prometheus.NewCounter(prometheus.CounterOpts{Name: "berth_hub_poll_notifications_total",
			Help: "Poll-now events sent to connected agents."}),
		halts: prometheus.NewCounter(prometheus.CounterOpts{Name: "berth_hub_rollout_halts_total",
			Help: "Rollouts halted because a wave exceeded its failure budget."}),
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m, m.notifies, m.halts, rolloutCollector{s})
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request, _ caller) { m.handler.ServeHTTP(w, r) }

func (m *metrics) notified(n int) { m.notifies.Add(float64(n)) }

func (m *metrics) halted() { m.halts.Inc() }

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.hosts
	ch <- m.age
	ch <- m.conns
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fleet, err := m.s.fleet(ctx)
	if err != nil {
		m.s.log.Error("metrics: cannot read the fleet", "err", err)
		return
	}
	count := map[string]int{}
	for _, h := range fleet {
		count[h.State]++
		if !h.LastSeen.IsZero() {
			ch <- prometheus.MustNewConstMetric(m.age, prometheus.GaugeValue, float64(h.AgeSeconds), h.Name)
		}
	}
	for _, st := range States {
		ch <- prometheus.MustNewConstMetric(m.hosts, prometheus.GaugeValue, float64(count[st]), st)
	}
	ch <- prometheus.MustNewConstMetric(m.conns, prometheus.GaugeValue, float64(len(m.s.agents.Keys())))
}
