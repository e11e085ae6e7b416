package hub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/store/sqlite"
	"github.com/berth-nix/berth/hub/wire"
	"github.com/berth-nix/berth/internal/webhook"
	"github.com/berth-nix/berth/report"
)

// testHub is a hub on a real SQLite file, served on loopback.
type testHub struct {
	*Server
	URL   string
	store store.Store
}

const (
	adminKey = "admin-secret"
	readKey  = "read-secret"
	secret   = "hook-secret"
)

// openStore opens the store the hub under test uses: a SQLite file at
// path, unless TestServerOnPostgres runs the suite on PostgreSQL.
var openStore = func(t *testing.T, path string) store.Store {
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func hostToken(h string) string { return "token-of-" + h }

func startHub(t *testing.T, hosts ...string) *testHub {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := DefaultConfig()
	cfg.Database.SQLite = filepath.Join(dir, "hub.db")
	cfg.Keys = []KeyFile{{Name: "root", Role: store.RoleAdmin, KeyFile: write("admin", adminKey)},
		{Name: "viewer", Role: store.RoleRead, KeyFile: write("read", readKey)}}
	cfg.Hosts = map[string]HostToken{}
	for _, h := range hosts {
		cfg.Hosts[h] = HostToken{TokenFile: write("token-"+h, hostToken(h))}
	}
	cfg.Webhook.SecretFiles = []string{write("hook", secret)}
	st := openStore(t, cfg.Database.SQLite)
	t.Cleanup(func() { st.Close() })
	s, err := New(&cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &testHub{Server: s, URL: srv.URL, store: st}
}

func (h *testHub) do(t *testing.T, method, path, key string, body []byte) (*http.Response, []byte) {
	t.Helper()
	hd := http.Header{}
	if key != "" {
		hd.Set("Authorization", "Bearer "+key)
	}
	return h.send(t, method, path, hd, body)
}

// send makes a request with headers hd and returns the answer and its body.
func (h *testHub) send(t *testing.T, method, path string, hd http.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, h.URL+path, bytes.NewReader(body))
	for k, v := range hd {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

func upload(t *testing.T, rep wire.Report, tail string) []byte {
	raw, _ := json.Marshal(rep)
	body, _ := json.Marshal(wire.Upload{Report: raw, LogTail: tail})
	return body
}

func goodReport(host, commit string) wire.Report {
	return wire.Report{Version: wire.ReportVersion, Host: host, At: time.Now(), Result: "applied",
		Applied: &wire.Revision{Revision: "main@sha1:" + commit, Commit: commit, Digest: "sha256:" + commit[:8]},
		Attempt: &wire.Attempt{Result: "applied", Revision: "main@sha1:" + commit, Digest: "sha256:" + commit[:8]}}
}

func TestReportStoredAndShown(t *testing.T) {
	h := startHub(t, "laptop1", "laptop2")
	commit := strings.Repeat("a", 40)
	resp, _ := h.do(t, "POST", wire.ReportsPath, hostToken("laptop1"), upload(t, goodReport("laptop1", commit), "switching…"))
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("post report: %s", resp.Status)
	}
	resp, body := h.do(t, "GET", "/v1/hosts", readKey, nil)
	var got struct{ Hosts []HostView }
	json.Unmarshal(body, &got)
	if resp.StatusCode != 200 || len(got.Hosts) != 2 {
		t.Fatalf("GET /v1/hosts: %s %s", resp.Status, body)
	}
	if l1, l2 := got.Hosts[0], got.Hosts[1]; l1.State != StateUpToDate || l1.Applied != commit || l2.State != StateNoReport {
		t.Errorf("hosts: got %+v and %+v, want laptop1 up-to-date on %s, laptop2 no-report", l1, l2, commit)
	}
	_, body = h.do(t, "GET", "/v1/hosts/laptop1", readKey, nil)
	var d HostDetail
	json.Unmarshal(body, &d)
	if d.LogTail != "switching…" || len(d.History) != 1 {
		t.Errorf("host detail: got %s", body)
	}
	assertAudit(t, h, "report", "laptop1", "host:laptop1")
}

// TestDriftShown: a host that reports drift (it runs another system than
// the one berth applied) shows it in the JSON API and on the page.
func TestDriftShown(t *testing.T) {
	h := startHub(t, "laptop1")
	rep := goodReport("laptop1", strings.Repeat("b", 40))
	running := "/nix/store/00000000000000000000000000000000-nixos-system-laptop1-manual"
	rep.Drift = &report.Drift{Running: running, Applied: "/nix/store/11111111111111111111111111111111-nixos-system-laptop1", Since: time.Now()}
	if resp, _ := h.do(t, "POST", wire.ReportsPath, hostToken("laptop1"), upload(t, rep, "")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("post report: %s", resp.Status)
	}
	_, body := h.do(t, "GET", "/v1/hosts", readKey, nil)
	var got struct{ Hosts []HostView }
	json.Unmarshal(body, &got)
	if len(got.Hosts) != 1 || got.Hosts[0].Drift != running {
		t.Errorf("GET /v1/hosts: got %s, want laptop1 drifting to %s", body, running)
	}
	_, page := h.do(t, "GET", "/fragment/rows", readKey, nil)
	if !strings.Contains(string(page), running) {
		t.Errorf("the fleet rows do not show the drift:\n%s", page)
	}
}

func TestReportForAnotherHostRefused(t *testing.T) {
	h := startHub(t, "laptop1", "laptop2")
	resp, _ := h.do(t, "POST", wire.ReportsPath, hostToken("laptop1"), upload(t, goodReport("laptop2", strings.Repeat("b", 40)), ""))
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("report for laptop2 with laptop1's token: got %s, want 403", resp.Status)
	}
	if latest, _ := h.store.Latest(context.Background()); len(latest) != 0 {
		t.Errorf("a refused report was stored: %+v", latest)
	}
	assertAudit(t, h, "report.refused", "laptop2", "host:laptop1")
}

func TestAuthorization(t *testing.T) {
	h := startHub(t, "laptop1")
	tests := []struct {
		method, path, key string
		want              int
		action            string
	}{
		{"GET", "/v1/hosts", "", 401, "auth.denied"},
		{"GET", "/v1/hosts", "wrong", 401, "auth.denied"},
		{"GET", "/v1/hosts", hostToken("laptop1"), 401, "auth.denied"},
		{"POST", "/v1/trigger", readKey, 403, "auth.forbidden"},
		{"GET", "/v1/audit", readKey, 403, "auth.forbidden"},
		{"GET", "/v1/events", readKey, 401, "auth.denied"},
		{"GET", "/metrics", readKey, 200, ""},
		{"GET", "/v1/audit", adminKey, 200, ""},
	}
	for _, tt := range tests {
		before, _ := h.store.Audit(context.Background(), store.Query{Action: tt.action})
		resp, body := h.do(t, tt.method, tt.path, tt.key, []byte(`{"all":true}`))
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s with %q: got %s %s, want %d", tt.method, tt.path, tt.key, resp.Status, body, tt.want)
		}
		after, _ := h.store.Audit(context.Background(), store.Query{Action: tt.action})
		if tt.action != "" && len(after) != len(before)+1 {
			t.Errorf("%s %s with %q: no %s audit entry", tt.method, tt.path, tt.key, tt.action)
		}
	}
}

// stream opens a host's event stream and returns its events, one name
// per event.
func stream(t *testing.T, h *testHub, host string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", h.URL+wire.EventsPath, nil)
	req.Header.Set("Authorization", "Bearer "+hostToken(host))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("events stream: %v %v", err, resp)
	}
	ch := make(chan string, 10)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				ch <- ev
			}
		}
	}()
	if ev := next(t, ch); ev != wire.EventHello {
		t.Fatalf("first event %q, want hello", ev)
	}
	return ch
}

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return ""
}

func quiet(t *testing.T, ch <-chan string) {
	t.Helper()
	select {
	case ev := <-ch:
		t.Errorf("unexpected event %q", ev)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestTriggerReachesStream(t *testing.T) {
	h := startHub(t, "laptop1", "laptop2")
	s1, s2 := stream(t, h, "laptop1"), stream(t, h, "laptop2")
	resp, body := h.do(t, "POST", "/v1/trigger", adminKey, []byte(`{"hosts":["laptop2"]}`))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"laptop2"`) {
		t.Fatalf("trigger: %s %s", resp.Status, body)
	}
	if ev := next(t, s2); ev != wire.EventPoll {
		t.Errorf("laptop2 got %q, want poll", ev)
	}
	quiet(t, s1)
	assertAudit(t, h, "trigger", "[laptop2]", "key:root")
}

func push(t *testing.T, h *testHub, paths ...string) (*http.Response, []byte) {
	t.Helper()
	type commit struct {
		Modified []string `json:"modified"`
	}
	body, _ := json.Marshal(map[string]any{"ref": "refs/heads/main", "after": strings.Repeat("c", 40), "commits": []commit{{paths}}})
	return h.send(t, "POST", "/v1/webhook", webhook.Sign([]byte(secret), body, time.Now()), body)
}

func TestWebhookNotifiesHostsWhoseDirectoryChanged(t *testing.T) {
	h := startHub(t, "laptop1", "laptop2")
	s1, s2 := stream(t, h, "laptop1"), stream(t, h, "laptop2")
	resp, body := push(t, h, "hosts/laptop1/configuration.nix")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook: %s %s", resp.Status, body)
	}
	if ev := next(t, s1); ev != wire.EventPoll {
		t.Errorf("laptop1 got %q, want poll", ev)
	}
	quiet(t, s2)
	if head, _ := h.store.Fact(context.Background(), headFact); head != strings.Repeat("c", 40) {
		t.Errorf("head fact: got %q", head)
	}
	// A shared module may be linked from any host: everyone polls.
	push(t, h, "modules/common.nix")
	next(t, s1)
	next(t, s2)
	assertAudit(t, h, "webhook", "main", "forge:generic")
}

func TestWebhookWrongSecret(t *testing.T) {
	h := startHub(t, "laptop1")
	resp, _ := h.send(t, "POST", "/v1/webhook", webhook.Sign([]byte("wrong"), []byte(`{}`), time.Now()), []byte(`{}`))
	if resp.StatusCode != 401 {
		t.Errorf("got %s, want 401", resp.Status)
	}
	assertAudit(t, h, "webhook.refused", "", "anonymous")
}

func TestKeysLifecycle(t *testing.T) {
	h := startHub(t)
	resp, body := h.do(t, "POST", "/v1/keys", adminKey, []byte(`{"name":"ci","role":"operate"}`))
	var nk NewKey
	json.Unmarshal(body, &nk)
	if resp.StatusCode != 201 || !strings.HasPrefix(nk.Secret, "berth_") {
		t.Fatalf("add key: %s %s", resp.Status, body)
	}
	if resp, _ := h.do(t, "POST", "/v1/trigger", nk.Secret, []byte(`{"all":true}`)); resp.StatusCode != 200 {
		t.Errorf("trigger with the new operate key: %s", resp.Status)
	}
	if resp, _ := h.do(t, "GET", "/v1/keys", nk.Secret, nil); resp.StatusCode != 403 {
		t.Errorf("list keys with an operate key: %s, want 403", resp.Status)
	}
	if resp, _ := h.do(t, "DELETE", "/v1/keys/ci", adminKey, nil); resp.StatusCode != 204 {
		t.Errorf("delete key: %s", resp.Status)
	}
	if resp, _ := h.do(t, "POST", "/v1/trigger", nk.Secret, []byte(`{"all":true}`)); resp.StatusCode != 401 {
		t.Errorf("trigger with a deleted key: %s, want 401", resp.Status)
	}
	assertAudit(t, h, "key.add", "ci", "key:root")
	assertAudit(t, h, "key.delete", "ci", "key:root")
}

func TestMetrics(t *testing.T) {
	h := startHub(t, "laptop1", "laptop2")
	h.do(t, "POST", wire.ReportsPath, hostToken("laptop1"), upload(t, goodReport("laptop1", strings.Repeat("a", 40)), ""))
	_, body := h.do(t, "GET", "/metrics", readKey, nil)
	for _, want := range []string{`berth_hub_hosts{state="up-to-date"} 1`, `berth_hub_hosts{state="no-report"} 1`, `berth_hub_report_age_seconds{host="laptop1"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
}

func assertAudit(t *testing.T, h *testHub, action, target, actor string) {
	t.Helper()
	entries, err := h.store.Audit(context.Background(), store.Query{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(entries, func(e store.Entry) bool { return e.Target == target && e.Actor == actor }) {
		t.Errorf("no audit entry %s %s by %s in %+v", action, target, actor, entries)
	}
}

// TestRetention: the hourly prune drops audit entries older than
// audit_retention and records that it did.
func TestRetention(t *testing.T) {
	h := startHub(t, "laptop1")
	ctx := context.Background()
	old := store.Entry{At: time.Now().Add(-h.cfg.AuditRetention - time.Hour), Actor: "key:root", Action: "trigger", Target: "all"}
	if err := h.store.Record(ctx, old); err != nil {
		t.Fatal(err)
	}
	h.do(t, "POST", "/v1/trigger", adminKey, []byte(`{"all":true}`))
	h.prune(ctx)
	triggers, _ := h.store.Audit(ctx, store.Query{Action: "trigger"})
	if len(triggers) != 1 || triggers[0].At.Before(time.Now().Add(-time.Hour)) {
		t.Errorf("after the prune: %+v, want only the recent trigger", triggers)
	}
	assertAudit(t, h, "audit.prune", "", "hub")
}
