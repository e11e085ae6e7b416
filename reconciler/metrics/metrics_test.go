package metrics

import (
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/buildinfo"
	"github.com/berth-nix/berth/reconciler"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type live struct {
	paused *reconciler.Pause
	next   time.Time
}

func (l live) Paused() *reconciler.Pause { return l.paused }
func (l live) Next() time.Time           { return l.next }

// scrape fetches /metrics over HTTP and parses the text format.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value returns the value of the family's series with the given labels.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		if !matches(m, labels) {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func matches(m *dto.Metric, labels map[string]string) bool {
	n := 0
	for _, lp := range m.Label {
		if v, ok := labels[lp.GetName()]; ok && v == lp.GetValue() {
			n++
		}
	}
	return n == len(labels)
}

func TestScrapeAfterReconciles(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	m := New(live{paused: &reconciler.Pause{}, next: now.Add(time.Hour)})
	applied := &reconciler.Revision{Revision: "main@sha1:c2", Digest: "sha256:d2", Toplevel: "/nix/store/x-top"}
	att := &reconciler.Attempt{ID: "a1", Result: "applied", Reboot: true, Finished: now,
		Durations: map[string]float64{"build": 12.5, "test": 2}}
	m.Reconciled(reconciler.Report{Result: "applied", Attempt: att}, reconciler.State{
		LastPoll: now, LastSeen: "main@sha1:c2", Applied: applied,
		Last: &reconciler.Summary{Result: "applied", Phase: "promote", At: now}})
	m.Reconciled(reconciler.Report{Result: "failed"}, reconciler.State{
		LastPoll: now, LastSeen: "main@sha1:c2", Applied: applied, FetchFailures: 3,
		Drift: &reconciler.Drift{Running: "/nix/store/y-manual", Applied: applied.Toplevel},
		Last:  &reconciler.Summary{Result: "failed", At: now.Add(time.Minute)}})
	fams := scrape(t, m)
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"berth_last_poll_timestamp_seconds", nil, float64(now.Unix())},
		{"berth_last_apply_timestamp_seconds", nil, float64(now.Unix())},
		{"berth_last_reconcile_timestamp_seconds", nil, float64(now.Unix() + 60)},
		{"berth_last_result", map[string]string{"result": "failed", "phase": "source"}, 1},
		{"berth_reconciles_total", map[string]string{"result": "applied"}, 1},
		{"berth_reconciles_total", map[string]string{"result": "failed"}, 1},
		{"berth_phase_duration_seconds", map[string]string{"phase": "build"}, 1},
		{"berth_applied_info", map[string]string{"revision": "main@sha1:c2", "toplevel": "/nix/store/x-top"}, 1},
		{"berth_seen_info", map[string]string{"revision": "main@sha1:c2"}, 1},
		{"berth_reboot_needed", nil, 1},
		{"berth_paused", nil, 1},
		{"berth_next_poll_timestamp_seconds", nil, float64(now.Unix() + 3600)},
		{"berth_consecutive_failures", nil, 3},
		{"berth_drift", nil, 1},
	}
	for _, tt := range tests {
		got, ok := value(fams, tt.name, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v: got %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	if n := len(fams["berth_last_result"].Metric); n != 1 {
		t.Errorf("berth_last_result series: got %d, want 1", n)
	}
}

func TestInitFromHistory(t *testing.T) {
	m := New(live{})
	fin := time.Unix(1_700_000_000, 0)
	m.Init(reconciler.State{}, []reconciler.Attempt{{Result: "reverted"}, {Result: "applied", Finished: fin, Reboot: true}})
	fams := scrape(t, m)
	if got, _ := value(fams, "berth_last_apply_timestamp_seconds", nil); got != float64(fin.Unix()) {
		t.Errorf("last apply: got %v, want %v", got, fin.Unix())
	}
	if got, _ := value(fams, "berth_paused", nil); got != 0 {
		t.Errorf("paused: got %v, want 0", got)
	}
	if _, ok := value(fams, "berth_applied_info", nil); ok {
		t.Error("applied info without an applied configuration")
	}
}

func TestBuildInfo(t *testing.T) {
	fams := scrape(t, New(live{}))
	bi := buildinfo.Read()
	want := map[string]string{"version": bi.String(), "revision": bi.Revision, "goversion": runtime.Version()}
	if got, ok := value(fams, "berth_build_info", want); !ok || got != 1 {
		t.Errorf("berth_build_info%v: got %v (present %v), want 1; families: %v", want, got, ok, fams["berth_build_info"])
	}
	if bi.String() == "" || bi.GoVersion != runtime.Version() {
		t.Errorf("build info %+v: want a version and Go %s", bi, runtime.Version())
	}
}
