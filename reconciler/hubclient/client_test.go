package hubclient

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/hub"
	"github.com/berth-nix/berth/hub/hubtest"
	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/store/sqlite"
	"github.com/berth-nix/berth/hub/wire"
	"github.com/berth-nix/berth/nixos"
	"github.com/berth-nix/berth/reconciler"
)

// TestReportFormatMatchesHub keeps hub/wire.Report in step with the
// agent's report: a report with every field set survives the trip
// through the hub's type unchanged.
func TestReportFormatMatchesHub(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	rev := reconciler.Revision{Revision: "main@sha1:abc", Commit: "abc", Digest: "sha256:d", Toplevel: "/nix/store/x", At: at, Signer: "alice"}
	rep := reconciler.HostReport{Version: 1, Host: "h", AgentVersion: "v", At: at, Result: "reverted", Reason: "r", Error: "e",
		Seen: "main@sha1:abc", LastPoll: at, SeenSince: at, Applied: &rev,
		Rejected: &reconciler.Rejection{Revision: rev, Phase: "test", Reason: "unit failed"},
		Attempt: &reconciler.Attempt{ID: "1", Host: "h", Trigger: "hub", Revision: "r", Commit: "c", Digest: "d", Signer: "s",
			Toplevel: "t", Previous: "p", Result: "reverted", Phase: "test", FailedUnits: []string{"a.service"}, Error: "e",
			Class: "stalling", Durations: map[string]float64{"build": 1}, Reboot: true, RebootWhy: []string{"kernel"},
			Started: at, Finished: at, LogPath: "/l", Diff: &nixos.ClosureDiff{Before: "b", After: "a", SizeDelta: 3,
				Packages: []nixos.PackageChange{{Name: "x", Kind: nixos.PackageAdded}}}},
		FetchFailures: 2}
	agent, _ := json.Marshal(rep)
	var w wire.Report
	if err := json.Unmarshal(agent, &w); err != nil {
		t.Fatal(err)
	}
	back, _ := json.Marshal(w)
	var a, b map[string]any
	json.Unmarshal(agent, &a)
	json.Unmarshal(back, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the hub's report type loses fields:\nagent %s\nhub   %s", agent, back)
	}
	for agentResult, hubResult := range map[string]string{reconciler.ResultApplied: wire.ResultApplied,
		reconciler.ResultReverted: wire.ResultReverted, reconciler.ResultFailed: wire.ResultFailed, reconciler.ResultRefused: wire.ResultRefused} {
		if agentResult != hubResult {
			t.Errorf("result %q is %q to the hub", agentResult, hubResult)
		}
	}
}

// testHub is a real hub (SQLite file) for laptop1, with an operate key.
type testHub struct {
	*hubtest.Hub
	t   *testing.T
	dir string
}

func newTestHub(t *testing.T) *testHub {
	dir := t.TempDir()
	cfg := hub.DefaultConfig()
	cfg.Database.SQLite = filepath.Join(dir, "hub.db")
	cfg.Hosts = map[string]hub.HostToken{"laptop1": {TokenFile: hubtest.Secret(t, dir, "token", "laptop1-token")}}
	cfg.Keys = []hub.KeyFile{{Name: "ops", Role: store.RoleOperate, KeyFile: hubtest.Secret(t, dir, "ops", "ops-key")}}
	return &testHub{Hub: hubtest.Start(t, cfg), t: t, dir: dir}
}

func (h *testHub) latest() []store.Report {
	st, err := sqlite.Open(context.Background(), filepath.Join(h.dir, "hub.db"))
	if err != nil {
		h.t.Fatal(err)
	}
	defer st.Close()
	reps, err := st.Latest(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return reps
}

func newClient(h *testHub, triggers chan string) *Client {
	return &Client{URL: h.URL, TokenFile: filepath.Join(h.dir, "token"), HTTP: &http.Client{},
		Trigger: func(r string) { triggers <- r }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Backoff: Backoff{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}}
}

func TestSendStoresReportWithLogTail(t *testing.T) {
	h := newTestHub(t)
	c := newClient(h, make(chan string, 10))
	logPath := filepath.Join(t.TempDir(), "attempt.log")
	os.WriteFile(logPath, []byte(strings.Repeat("x", wire.MaxLogTail)+"last line\n"), 0o600)
	rep := reconciler.HostReport{Version: 1, Host: "laptop1", At: time.Now(), Result: "applied"}
	if err := c.Send(context.Background(), rep, logPath); err != nil {
		t.Fatal(err)
	}
	got := h.latest()
	if len(got) != 1 || got[0].Report.Result != "applied" || !strings.HasSuffix(got[0].LogTail, "last line\n") || len(got[0].LogTail) > wire.MaxLogTail {
		t.Fatalf("stored: %+v", got)
	}
	rep.Host = "laptop2"
	if err := c.Send(context.Background(), rep, ""); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("report for another host: got %v, want a 403", err)
	}
}

// TestStreamSurvivesHubRestart: the hub's trigger reaches the agent; the
// hub stops and starts again; the agent reconnects by itself, polls once
// for what it may have missed, and receives triggers again.
func TestStreamSurvivesHubRestart(t *testing.T) {
	h := newTestHub(t)
	triggers := make(chan string, 10)
	c := newClient(h, triggers)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	trigger := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if poke(t, h) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("the agent never connected")
	}
	trigger()
	if r := wait(t, triggers); r != "hub" {
		t.Errorf("trigger reason %q, want hub", r)
	}
	h.Stop()
	// While the hub is down, a report fails at once: the agent logs it
	// and carries on.
	began := time.Now()
	if err := c.Send(context.Background(), reconciler.HostReport{Version: 1, Host: "laptop1"}, ""); err == nil || time.Since(began) > 5*time.Second {
		t.Errorf("report to a stopped hub: %v after %s, want an error at once", err, time.Since(began))
	}
	h.Start()
	if r := wait(t, triggers); r != "hub reconnected" {
		t.Errorf("after the restart: reason %q, want hub reconnected", r)
	}
	trigger()
	if r := wait(t, triggers); r != "hub" {
		t.Errorf("after the restart: reason %q, want hub", r)
	}
}

// poke asks the hub, as an operator would, to tell laptop1 to poll;
// false when laptop1 is not connected.
func poke(t *testing.T, h *testHub) bool {
	req, _ := http.NewRequest("POST", h.URL+"/v1/trigger", strings.NewReader(`{"hosts":["laptop1"]}`))
	req.Header.Set("Authorization", "Bearer ops-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res hub.TriggerResult
	json.NewDecoder(resp.Body).Decode(&res)
	return len(res.Notified) == 1
}

func wait(t *testing.T, ch chan string) string {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no trigger within 10s")
	}
	return ""
}
