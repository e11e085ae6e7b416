package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/reconciler"
)

var fleetNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func report(host, appliedDigest string, at time.Time) *reconciler.HostReport {
	rep := &reconciler.HostReport{Version: 1, Host: host, At: at, Result: reconciler.ResultUnchanged}
	if appliedDigest != "" {
		rep.Applied = &reconciler.Revision{Revision: "main@sha1:0123456789abcdef0123", Digest: appliedDigest}
	}
	return rep
}

func withAttempt(rep *reconciler.HostReport, digest, result, errMsg string) *reconciler.HostReport {
	rep.Attempt = &reconciler.Attempt{Digest: digest, Result: result, Error: errMsg}
	if result != reconciler.ResultApplied {
		rep.Rejected = &reconciler.Rejection{Revision: reconciler.Revision{Digest: digest}, Reason: errMsg}
	}
	return rep
}

func TestHostState(t *testing.T) {
	old := fleetNow.Add(-2 * time.Hour)
	tests := []struct {
		name      string
		rep       *reconciler.HostReport
		wanted    string
		wantState string
		wantErr   string
	}{
		{"no report", nil, "sha256:a", fleetNoReport, ""},
		{"stale", report("h", "sha256:a", old), "sha256:a", fleetStale, "last report"},
		{"up to date", report("h", "sha256:a", fleetNow), "sha256:a", fleetUpToDate, ""},
		{"pending", report("h", "sha256:a", fleetNow), "sha256:b", fleetPending, ""},
		{"reverted", withAttempt(report("h", "sha256:a", fleetNow), "sha256:b", "reverted", "units failed: x.service\nmore"), "sha256:b", fleetReverted, "units failed: x.service"},
		{"failed", withAttempt(report("h", "sha256:a", fleetNow), "sha256:b", "failed", "files/etc/x: refused"), "sha256:b", fleetFailed, "files/etc/x: refused"},
		{"older failure, newer wanted", withAttempt(report("h", "sha256:a", fleetNow), "sha256:b", "failed", "x"), "sha256:c", fleetPending, ""},
		{"no repo: up to date", report("h", "sha256:a", fleetNow), "", fleetUpToDate, ""},
		{"no repo: reverted", withAttempt(report("h", "sha256:a", fleetNow), "sha256:b", "reverted", "y"), "", fleetReverted, "y"},
		{"no repo: nothing applied yet", report("h", "", fleetNow), "", fleetPending, ""},
	}
	for _, tt := range tests {
		state, msg := hostState(tt.rep, tt.wanted, fleetNow, 45*time.Minute)
		if state != tt.wantState || !strings.HasPrefix(msg, tt.wantErr) || (tt.wantErr == "" && msg != "") {
			t.Errorf("%s: got %q %q, want %q %q", tt.name, state, msg, tt.wantState, tt.wantErr)
		}
	}
}

// writeHost makes a host directory in a fleet checkout.
func writeHost(t *testing.T, repo, host, content string) {
	t.Helper()
	dir := filepath.Join(repo, "hosts", host)
	if err := os.MkdirAll(filepath.Join(dir, "files", "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, c := range map[string]string{"flake.nix": content, "files/etc/motd": host} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeReport(t *testing.T, p string, rep *reconciler.HostReport) {
	t.Helper()
	data, _ := json.Marshal(rep)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFleetStatus reads a fleet of four hosts from a real checkout and a
// reports directory in each supported layout: one up to date, one
// pending, one reverted, one without a report, plus a bad file.
func TestFleetStatus(t *testing.T) {
	repo, reports := t.TempDir(), t.TempDir()
	for _, h := range []string{"alpha", "beta", "gamma", "delta"} {
		writeHost(t, repo, h, "{ outputs = _: {}; } # "+h)
	}
	wanted, _, err := wantedDigests(repo, "hosts/{hostname}")
	if err != nil {
		t.Fatal(err)
	}
	writeReport(t, filepath.Join(reports, "alpha.json"), report("alpha", wanted["alpha"], fleetNow.Add(-time.Minute)))
	writeReport(t, filepath.Join(reports, "beta", "report.json"), report("beta", "sha256:old", fleetNow))
	writeReport(t, filepath.Join(reports, "gamma", "reports", "report.json"),
		withAttempt(report("gamma", "sha256:old", fleetNow), wanted["gamma"], "reverted", "units failed after the switch: broken.service"))
	if err := os.WriteFile(filepath.Join(reports, "junk.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runFleetStatus(&out, fleetOptions{Reports: reports, Repo: repo, HostDir: "hosts/{hostname}", StaleAfter: 45 * time.Minute, JSON: true}, fleetNow); err != nil {
		t.Fatal(err)
	}
	var v fleetView
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := map[string]string{}
	for _, r := range v.Hosts {
		got[r.Host] = r.State
	}
	want := map[string]string{"alpha": fleetUpToDate, "beta": fleetPending, "gamma": fleetReverted, "delta": fleetNoReport}
	for h, s := range want {
		if got[h] != s {
			t.Errorf("%s: got %q, want %q", h, got[h], s)
		}
	}
	if len(v.Bad) != 1 || !strings.Contains(v.Bad[0].File, "junk.json") {
		t.Errorf("bad files %+v, want junk.json listed", v.Bad)
	}

	out.Reset()
	if err := runFleetStatus(&out, fleetOptions{Reports: reports, Repo: repo, HostDir: "hosts/{hostname}", StaleAfter: 45 * time.Minute}, fleetNow); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"gamma  reverted", "broken.service", "bad: " + filepath.Join(reports, "junk.json")} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("table lacks %q:\n%s", line, out.String())
		}
	}
}

func TestFleetStatusBadReportsDir(t *testing.T) {
	err := runFleetStatus(&bytes.Buffer{}, fleetOptions{Reports: "/nonexistent", HostDir: "hosts/{hostname}"}, fleetNow)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent") {
		t.Errorf("got %v, want an error naming the directory", err)
	}
}
