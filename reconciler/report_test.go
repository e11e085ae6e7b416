package reconciler

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/internal/fault"
)

func readReport(t *testing.T, r *Reconciler) HostReport {
	t.Helper()
	rep, err := ReadReport(ReportPath(filepath.Dir(r.Store.Path)))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestReportAfterEveryReconcile: a reverted attempt is reported with its
// phase, units and error; a later no-change poll renews the report and
// carries the attempt forward; an applied one replaces it.
func TestReportAfterEveryReconcile(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:bad")}
	app := &fakeApplier{res: activate.Result{Outcome: activate.Reverted, Phase: activate.PhaseVerify, Toplevel: "/nix/store/bbb-top",
		FailedUnits: []string{"x.service"}, Durations: map[activate.Phase]time.Duration{activate.PhaseBuild: time.Second},
		Err: fault.Stallingf("units failed after the switch: x.service")}}
	r := newRec(t, src, app)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r.Now = func() time.Time { return now }
	r.Run(context.Background(), Options{})
	rep := readReport(t, r)
	a := rep.Attempt
	if rep.Host != "h" || rep.Result != ResultReverted || a == nil || a.Phase != "verify" || a.Digest != "sha256:bad" ||
		a.Toplevel != "/nix/store/bbb-top" || len(a.FailedUnits) != 1 || a.Durations["build"] != 1 || rep.Rejected == nil {
		t.Fatalf("got %+v (attempt %+v), want the reverted attempt", rep, a)
	}
	if a.LogPath != "" || rep.AgentVersion == "" || rep.Build == nil || rep.Build.GoVersion != runtime.Version() || !rep.At.Equal(now) {
		t.Errorf("got log path %q, agent version %q, at %v", a.LogPath, rep.AgentVersion, rep.At)
	}

	now = now.Add(time.Hour)
	r.Run(context.Background(), Options{})
	rep = readReport(t, r)
	if rep.Result != ResultUnchanged || !rep.At.Equal(now) || rep.Attempt == nil || rep.Attempt.ID != a.ID {
		t.Errorf("after a no-change poll got %+v, want unchanged at %v with attempt %s", rep, now, a.ID)
	}

	src.art, app.res = art("c2", "sha256:good"), applied
	r.Run(context.Background(), Options{})
	rep = readReport(t, r)
	if rep.Result != ResultApplied || rep.Applied == nil || rep.Applied.Digest != "sha256:good" || rep.Attempt.Result != "applied" {
		t.Errorf("after applying got %+v", rep)
	}
}

// postServer records the reports POSTed to it with the right token.
type postServer struct {
	mu      sync.Mutex
	reports []HostReport
	status  int
}

func (p *postServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Header.Get("Authorization") != "Bearer tok-h" || req.Method != http.MethodPost {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	var rep HostReport
	body, _ := io.ReadAll(req.Body)
	if err := json.Unmarshal(body, &rep); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reports = append(p.reports, rep)
	if p.status != 0 {
		w.WriteHeader(p.status)
	}
}

func TestHTTPReporter(t *testing.T) {
	srv := &postServer{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := writeFile(tokenFile, "tok-h\n"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		url     string
		token   string
		status  int
		wantErr bool
	}{
		{"accepted", ts.URL, tokenFile, 0, false},
		{"server error", ts.URL, tokenFile, http.StatusInternalServerError, true},
		{"wrong token file", ts.URL, "/nonexistent/token", 0, true},
		{"server down", "http://127.0.0.1:1/", tokenFile, 0, true},
	}
	for _, tt := range tests {
		srv.status = tt.status
		h := &HTTPReporter{URL: tt.url, TokenFile: tt.token}
		err := h.Send(context.Background(), HostReport{Version: reportVersion, Host: "h", Result: "applied"}, "")
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: got %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
	if len(srv.reports) != 2 || srv.reports[0].Host != "h" {
		t.Errorf("server got %+v, want two reports of h", srv.reports)
	}
}

// TestReporterFailureDoesNotFailTheReconcile: a report endpoint that
// hangs is cut off by the deadline and the reconcile still succeeds.
func TestReporterFailureDoesNotFailTheReconcile(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := writeFile(tokenFile, "tok-h"); err != nil {
		t.Fatal(err)
	}
	r := newRec(t, &fakeSource{art: art("c1", "sha256:good")}, &fakeApplier{res: applied})
	r.Reporter = &HTTPReporter{URL: hang.URL, TokenFile: tokenFile, Client: &http.Client{Timeout: 200 * time.Millisecond}}
	start := time.Now()
	if rep := r.Run(context.Background(), Options{}); rep.Result != ResultApplied || rep.Err != nil {
		t.Errorf("got %s %v, want applied with no error", rep.Result, rep.Err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("reconcile took %s with a hanging report endpoint", d)
	}
	if readReport(t, r).Result != ResultApplied {
		t.Errorf("local report not written")
	}
}

// TestHTTPReporterRedactsOnNetworkErrors: a refused connection and a
// timeout name the endpoint without its query token or user information,
// both in the error and in the agent's log.
func TestHTTPReporterRedactsOnNetworkErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer hang.Close()
	defer close(release)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := writeFile(tokenFile, "tok-h"); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{"http://" + refused, hang.URL} {
		raw := strings.Replace(base, "http://", "http://user:pw-secret@", 1) + "/report?token=q-secret#f-secret"
		var logs bytes.Buffer
		r := newRec(t, &fakeSource{art: art("c1", "sha256:good")}, &fakeApplier{res: applied})
		r.Log = slog.New(slog.NewTextHandler(&logs, nil))
		r.Reporter = &HTTPReporter{URL: raw, TokenFile: tokenFile, Client: &http.Client{Timeout: 200 * time.Millisecond}}
		r.Run(context.Background(), Options{})
		err := (&HTTPReporter{URL: raw, TokenFile: tokenFile, Client: &http.Client{Timeout: 200 * time.Millisecond}}).
			Send(context.Background(), HostReport{Host: "h"}, "")
		if err == nil {
			t.Fatalf("%s: sent, want an error", base)
		}
		for _, text := range []string{err.Error(), logs.String()} {
			if strings.Contains(text, "secret") || !strings.Contains(text, strings.TrimPrefix(base, "http://")+"/report") {
				t.Errorf("got %q, want the endpoint named without its secrets", text)
			}
		}
		if base == "http://"+refused && !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("got %q, want the cause kept", err)
		}
	}
}

// TestReportSettingsHTTPReporter: report.http_url gives a reporter for
// the host's own URL; without it there is none.
func TestReportSettingsHTTPReporter(t *testing.T) {
	s := ReportSettings{HTTPURL: "https://reports.example.org/{hostname}?k=v", TokenFile: "/etc/berth/report-token"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	h := s.HTTPReporter("laptop1")
	if h == nil || h.URL != "https://reports.example.org/laptop1?k=v" || h.TokenFile != s.TokenFile {
		t.Errorf("got %+v, want the host's URL and the token file", h)
	}
	if strings.Contains(s.String(), "k=v") {
		t.Errorf("String shows the query: %s", s)
	}
	if (ReportSettings{}).HTTPReporter("laptop1") != nil {
		t.Error("a reporter without report.http_url")
	}
}
