package hub

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/wire"
	"github.com/berth-nix/berth/rollout"
)

const testPolicy = `groups:
  canary: {hosts: [c1]}
  early: {hosts: [e1, e2]}
waves:
  - name: canary
    groups: [canary]
    soak: 10m
  - name: early
    groups: [early]
    after: [canary]
`

// rolloutHub is a hub with a rollout policy, a clock the test moves and
// a chat endpoint that collects halt webhooks.
type rolloutHub struct {
	*testHub
	now   time.Time
	mu    sync.Mutex
	halts []HaltEvent
}

func startRolloutHub(t *testing.T) *rolloutHub {
	h := &rolloutHub{testHub: startHub(t, "c1", "e1", "e2"), now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev HaltEvent
		json.NewDecoder(r.Body).Decode(&ev)
		h.mu.Lock()
		h.halts = append(h.halts, ev)
		h.mu.Unlock()
	}))
	t.Cleanup(chat.Close)
	p := filepath.Join(t.TempDir(), "rollout.yaml")
	if err := os.WriteFile(p, []byte(testPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	h.cfg.Rollout.PolicyFile, h.cfg.Rollout.HaltWebhookURL = p, chat.URL
	h.Now = func() time.Time { return h.now }
	return h
}

func (h *rolloutHub) gate(t *testing.T, host, commit string) wire.GateAnswer {
	t.Helper()
	body, _ := json.Marshal(wire.GateRequest{Revision: "main@sha1:" + commit, Commit: commit})
	resp, data := h.do(t, "POST", wire.GatePath, hostToken(host), body)
	var a wire.GateAnswer
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &a) != nil {
		t.Fatalf("gate %s: %s %s", host, resp.Status, data)
	}
	return a
}

func (h *rolloutHub) report(t *testing.T, host, commit string, failed bool) {
	t.Helper()
	rep := goodReport(host, commit)
	rep.At = h.now
	rep.Attempt.Commit = commit
	if failed {
		rep.Result, rep.Attempt.Result, rep.Attempt.Phase, rep.Attempt.FailedUnits = "reverted", "reverted", "health", []string{"nginx.service"}
		rep.Applied = nil
	}
	if resp, data := h.do(t, "POST", wire.ReportsPath, hostToken(host), upload(t, rep, "")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("report of %s: %s %s", host, resp.Status, data)
	}
}

func (h *rolloutHub) rollouts(t *testing.T) []RolloutView {
	t.Helper()
	resp, data := h.do(t, "GET", "/v1/rollouts", readKey, nil)
	var vs []RolloutView
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &vs) != nil {
		t.Fatalf("GET /v1/rollouts: %s %s", resp.Status, data)
	}
	return vs
}

func expectGate(t *testing.T, a wire.GateAnswer, allowed bool, reason string) {
	t.Helper()
	if a.Allowed != allowed || !strings.Contains(a.Reason, reason) {
		t.Fatalf("got allowed %v (%q), want %v with %q", a.Allowed, a.Reason, allowed, reason)
	}
}

func TestRolloutCanaryThenSoakThenEarly(t *testing.T) {
	h := startRolloutHub(t)
	a := strings.Repeat("a", 40)
	expectGate(t, h.gate(t, "e1", a), false, "wave canary has not finished (0 of 1 hosts reported)")
	expectGate(t, h.gate(t, "c1", a), true, "")
	h.now = h.now.Add(time.Minute)
	h.report(t, "c1", a, false)
	h.now = h.now.Add(5 * time.Minute)
	expectGate(t, h.gate(t, "e2", a), false, "wave canary is soaking until 2026-12-01T10:11:00Z")
	h.now = h.now.Add(5 * time.Minute)
	expectGate(t, h.gate(t, "e2", a), true, "")
	h.report(t, "e1", a, false)
	h.report(t, "e2", a, false)
	vs := h.rollouts(t)
	if len(vs) != 1 || vs[0].State != rollout.StateDone || !vs[0].Current {
		t.Fatalf("rollouts: got %+v, want one, done", vs)
	}
	if got, _ := h.store.Audit(t.Context(), store.Query{Action: "rollout.done"}); len(got) != 1 || got[0].Target != a {
		t.Errorf("audit of the finished rollout: got %+v", got)
	}
}

func TestRolloutHaltResumeAbortSupersede(t *testing.T) {
	h := startRolloutHub(t)
	b := strings.Repeat("b", 40)
	expectGate(t, h.gate(t, "c1", b), true, "")
	h.report(t, "c1", b, true)
	expectGate(t, h.gate(t, "e1", b), false, "halted: c1 failed (health: failed units nginx.service)")
	vs := h.rollouts(t)
	if len(vs) != 1 || vs[0].State != rollout.StateHalted || len(vs[0].Failing) != 1 || vs[0].Failing[0].Host != "c1" {
		t.Fatalf("rollouts: got %+v, want b halted by c1", vs)
	}
	waitFor(t, "the halt webhook", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.halts) == 1 && h.halts[0].Revision == b && h.halts[0].Failing[0].Host == "c1"
	})
	if halts, _ := h.store.Audit(t.Context(), store.Query{Action: "rollout.halted"}); len(halts) != 1 {
		t.Errorf("audit: %d halt entries, want 1", len(halts))
	}
	_, metrics := h.do(t, "GET", "/metrics", readKey, nil)
	for _, want := range []string{"berth_hub_rollout_halts_total 1", `berth_hub_rollout_state{revision="` + b + `",state="halted"} 1`, `berth_hub_rollout_wave_hosts{result="failed",wave="canary"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if resp, _ := h.do(t, "POST", "/v1/rollouts/current/resume", readKey, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("resume with a read key: %s, want 403", resp.Status)
	}
	if resp, data := h.do(t, "POST", "/v1/rollouts/bbbb/resume", adminKey, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("resume: %s %s", resp.Status, data)
	}
	expectGate(t, h.gate(t, "e1", b), false, "soaking until")
	h.now = h.now.Add(11 * time.Minute)
	expectGate(t, h.gate(t, "e1", b), true, "")
	if resp, data := h.do(t, "POST", "/v1/rollouts/current/abort", adminKey, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("abort: %s %s", resp.Status, data)
	}
	expectGate(t, h.gate(t, "e2", b), false, "was aborted")
	for _, action := range []string{"rollout.resume", "rollout.abort", "rollout.aborted"} {
		if got, _ := h.store.Audit(t.Context(), store.Query{Action: action, Target: b}); len(got) != 1 {
			t.Errorf("audit %s: %d entries, want 1", action, len(got))
		}
	}
	// A newer commit starts a new rollout from the canary.
	c := strings.Repeat("c", 40)
	h.now = h.now.Add(time.Minute)
	expectGate(t, h.gate(t, "e2", c), false, "wave canary has not finished")
	expectGate(t, h.gate(t, "e2", b), false, "superseded by "+c)
	expectGate(t, h.gate(t, "c1", c), true, "")

	// A restarted hub over the same store has the same rollouts.
	h2, err := New(h.cfg, h.store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h2.Now = h.Now
	srv := httptest.NewServer(h2.Handler())
	defer srv.Close()
	h.URL = srv.URL
	vs = h.rollouts(t)
	if len(vs) != 2 || vs[0].Revision != b || vs[0].State != rollout.StateAborted || vs[1].Revision != c || vs[1].State != rollout.StateRolling {
		t.Fatalf("after restart: got %+v, want b aborted and c rolling", vs)
	}
}

func TestGateWithoutPolicyAllows(t *testing.T) {
	h := startHub(t, "c1")
	body, _ := json.Marshal(wire.GateRequest{Revision: "main@sha1:x", Commit: "x"})
	resp, data := h.do(t, "POST", wire.GatePath, hostToken("c1"), body)
	var a wire.GateAnswer
	json.Unmarshal(data, &a)
	if resp.StatusCode != http.StatusOK || !a.Allowed {
		t.Fatalf("gate without a policy: %s %s", resp.Status, data)
	}
	if resp, _ := h.do(t, "POST", wire.GatePath, "", body); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("gate without a host token: %s, want 401", resp.Status)
	}
}

func TestRolloutPolicyErrorWaits(t *testing.T) {
	h := startRolloutHub(t)
	os.WriteFile(h.cfg.Rollout.PolicyFile, []byte("waves: [{name: w, groups: [nope]}]\n"), 0o644)
	body, _ := json.Marshal(wire.GateRequest{Revision: "main@sha1:x", Commit: "x"})
	resp, data := h.do(t, "POST", wire.GatePath, hostToken("c1"), body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(data), `rollout.yaml:1: waves[0].groups[0]: unknown group`) {
		t.Fatalf("gate with a broken policy: %s %s, want 503 naming the file and key", resp.Status, data)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestReportHaltsWithoutARequest: with the hub's loop running, the
// canary's failed report alone halts the rollout and sends the webhook.
func TestReportHaltsWithoutARequest(t *testing.T) {
	h := startRolloutHub(t)
	h.cfg.Rollout.Interval = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	d := strings.Repeat("d", 40)
	expectGate(t, h.gate(t, "c1", d), true, "")
	h.report(t, "c1", d, true)
	waitFor(t, "the halt recorded after the report", func() bool {
		rs, _ := h.store.Rollouts(ctx, 1)
		return len(rs) == 1 && rs[0].State == rollout.StateHalted
	})
	waitFor(t, "the halt webhook", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.halts) == 1
	})
}

// TestWebhookStartsTheRolloutAndALaggingAgentCannotRestartAnOlderOne:
// the forge's push starts the rollout of its head; an agent asking about
// another commit then starts nothing.
func TestWebhookStartsTheRolloutAndALaggingAgentCannotRestartAnOlderOne(t *testing.T) {
	h := startRolloutHub(t)
	h.now = time.Now() // the webhook's signature is checked against the hub's clock
	if resp, body := push(t, h.testHub, "hosts/c1/configuration.nix"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook: %s %s", resp.Status, body)
	}
	head := strings.Repeat("c", 40)
	if vs := h.rollouts(t); len(vs) != 1 || vs[0].Revision != head {
		t.Fatalf("rollouts after the push: %+v, want one of %s", vs, head)
	}
	old := strings.Repeat("0", 40)
	expectGate(t, h.gate(t, "c1", old), false, "no rollout of "+old+" has started")
	if vs := h.rollouts(t); len(vs) != 1 {
		t.Errorf("an agent's question about an older commit started a rollout: %+v", vs)
	}
	expectGate(t, h.gate(t, "c1", head), true, "")
}
