package hub

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	rolloutStateDesc = prometheus.NewDesc("berth_hub_rollout_state", "1 for the current rollout's state (rolling, halted, aborted, done).", []string{"revision", "state"}, nil)
	rolloutWaveDesc  = prometheus.NewDesc("berth_hub_rollout_wave_hosts", "Hosts of each wave of the current rollout, by result (applied, failed, pending).", []string{"wave", "result"}, nil)
)

// rolloutCollector exposes the current rollout at scrape time.
type rolloutCollector struct{ s *Server }

func (c rolloutCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- rolloutStateDesc
	ch <- rolloutWaveDesc
}

func (c rolloutCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	views, _, err := c.s.evaluateRollouts(ctx)
	if err != nil || len(views) == 0 {
		return
	}
	cur := views[len(views)-1]
	ch <- prometheus.MustNewConstMetric(rolloutStateDesc, prometheus.GaugeValue, 1, cur.Revision, cur.State)
	for _, w := range cur.Waves {
		pending := len(w.Hosts) - len(w.Applied) - len(w.Failed)
		for result, n := range map[string]int{"applied": len(w.Applied), "failed": len(w.Failed), "pending": pending} {
			ch <- prometheus.MustNewConstMetric(rolloutWaveDesc, prometheus.GaugeValue, float64(n), w.Name, result)
		}
	}
}
