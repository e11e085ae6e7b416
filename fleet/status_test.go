package fleet

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/report"
)

var fleetNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func hostReport(host, appliedDigest string, at time.Time) *report.HostReport {
	rep := &report.HostReport{Version: 1, Host: host, At: at, Result: report.ResultUnchanged}
	if appliedDigest != "" {
		rep.Applied = &report.Revision{Revision: "main@sha1:0123456789abcdef0123", Digest: appliedDigest}
	}
	return rep
}

func withAttempt(rep *report.HostReport, digest, result, errMsg string) *report.HostReport {
	rep.Attempt = &report.Attempt{Digest: digest, Result: result, Error: errMsg}
	if result != report.ResultApplied {
		rep.Rejected = &report.Rejection{Revision: report.Revision{Digest: digest}, Reason: errMsg}
	}
	return rep
}

func TestHostState(t *testing.T) {
	old := fleetNow.Add(-2 * time.Hour)
	tests := []struct {
		name      string
		rep       *report.HostReport
		wanted    string
		wantState string
		wantErr   string
	}{
		{"no report", nil, "sha256:a", fleetNoReport, ""},
		{"stale", hostReport("h", "sha256:a", old), "sha256:a", fleetStale, "last report"},
		{"up to date", hostReport("h", "sha256:a", fleetNow), "sha256:a", fleetUpToDate, ""},
		{"pending", hostReport("h", "sha256:a", fleetNow), "sha256:b", fleetPending, ""},
		{"reverted", withAttempt(hostReport("h", "sha256:a", fleetNow), "sha256:b", "reverted", "units failed: x.service\nmore"), "sha256:b", fleetReverted, "units failed: x.service"},
		{"failed", withAttempt(hostReport("h", "sha256:a", fleetNow), "sha256:b", "failed", "files/etc/x: refused"), "sha256:b", fleetFailed, "files/etc/x: refused"},
		{"older failure, newer wanted", withAttempt(hostReport("h", "sha256:a", fleetNow), "sha256:b", "failed", "x"), "sha256:c", fleetPending, ""},
		{"no repo: up to date", hostReport("h", "sha256:a", fleetNow), "", fleetUpToDate, ""},
		{"no repo: reverted", withAttempt(hostReport("h", "sha256:a", fleetNow), "sha256:b", "reverted", "y"), "", fleetReverted, "y"},
		{"no repo: nothing applied yet", hostReport("h", "", fleetNow), "", fleetPending, ""},
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

func writeReport(t *testing.T, p string, rep *report.HostReport) {
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
	writeReport(t, filepath.Join(reports, "alpha.json"), hostReport("alpha", wanted["alpha"], fleetNow.Add(-time.Minute)))
	writeReport(t, filepath.Join(reports, "beta", "report.json"), hostReport("beta", "sha256:old", fleetNow))
	writeReport(t, filepath.Join(reports, "gamma", "reports", "report.json"),
		withAttempt(hostReport("gamma", "sha256:old", fleetNow), wanted["gamma"], "reverted", "units failed after the switch: broken.service"))
	if err := os.WriteFile(filepath.Join(reports, "junk.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Reports: reports, Repo: repo, HostDir: "hosts/{hostname}", StaleAfter: 45 * time.Minute}
	v, err := Status(o, fleetNow)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(v) // the --json output
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%v\n%s", err, data)
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

	var out bytes.Buffer
	Print(&out, v, true)
	for _, line := range []string{"gamma  reverted", "broken.service", "bad: " + filepath.Join(reports, "junk.json")} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("table lacks %q:\n%s", line, out.String())
		}
	}
}

// TestFleetStatusBelievesPlacesNotReports: a report is the host whose
// place it was found in. A report in alpha's place claiming to be beta,
// dated 2099, must neither become beta's row nor keep alpha fresh; a
// report from the future and an oversized one are refused with a
// message on their host's row.
func TestFleetStatusBelievesPlacesNotReports(t *testing.T) {
	reports := t.TempDir()
	future := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	writeReport(t, filepath.Join(reports, "alpha", "reports", "report.json"), hostReport("beta", "sha256:evil", future))
	writeReport(t, filepath.Join(reports, "gamma.json"), hostReport("gamma", "sha256:a", fleetNow.Add(time.Hour)))
	writeReport(t, filepath.Join(reports, "delta.json"), hostReport("delta", "sha256:a", fleetNow.Add(MaxClockSkew/2)))
	big := hostReport("epsilon", "sha256:a", fleetNow)
	big.Reason = strings.Repeat("x", report.MaxSize)
	writeReport(t, filepath.Join(reports, "epsilon", "report.json"), big)

	v, err := Status(Options{Reports: reports, HostDir: "hosts/{hostname}", StaleAfter: 45 * time.Minute}, fleetNow)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]Row{}
	for _, r := range v.Hosts {
		rows[r.Host] = r
	}
	if r, ok := rows["beta"]; ok {
		t.Errorf("beta has a row from a report found in alpha's place: %+v", r)
	}
	for host, want := range map[string]string{
		"alpha":   `names host "beta" but was found in the place of host "alpha"`,
		"gamma":   "in the future",
		"epsilon": "larger than",
	} {
		r := rows[host]
		if r.State != fleetNoReport || !strings.Contains(r.Error, want) || r.AppliedDigest != "" {
			t.Errorf("%s: got %+v, want state %s with error %q", host, r, fleetNoReport, want)
		}
	}
	if r := rows["delta"]; r.State != fleetUpToDate {
		t.Errorf("delta, dated within the clock skew: got %+v, want %s", r, fleetUpToDate)
	}
	if len(v.Bad) != 3 {
		t.Errorf("bad files: got %+v, want the three refused reports", v.Bad)
	}
	var out bytes.Buffer
	Print(&out, v, false)
	if !regexp.MustCompile(`(?m)^alpha +no-report .*names host "beta"`).MatchString(out.String()) || !strings.Contains(out.String(), "bad: "+filepath.Join(reports, "alpha")) {
		t.Errorf("table:\n%s", out.String())
	}
}

// TestFleetStatusShowsBerth: fleet status names each host's berth, from
// its report, in the table and in JSON.
func TestFleetStatusShowsBerth(t *testing.T) {
	reports := t.TempDir()
	for host, v := range map[string]string{"alpha": "0.1.0+1a2b3c4d5e6f", "beta": "0.2.0"} {
		rep := hostReport(host, "sha256:a", fleetNow)
		rep.AgentVersion = v
		writeReport(t, filepath.Join(reports, host+".json"), rep)
	}
	v, err := Status(Options{Reports: reports, HostDir: "hosts/{hostname}", StaleAfter: 45 * time.Minute}, fleetNow)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	Print(&out, v, false)
	for _, want := range []string{"BERTH", "0.1.0+1a2b3c4d5e6f", "0.2.0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	data, _ := json.Marshal(v) // the --json output
	var got View
	if err := json.Unmarshal(data, &got); err != nil || len(got.Hosts) != 2 || got.Hosts[0].Berth != "0.1.0+1a2b3c4d5e6f" || got.Hosts[1].Berth != "0.2.0" {
		t.Errorf("fleet status --json: got %+v (%v), want alpha on 0.1.0+1a2b3c4d5e6f and beta on 0.2.0", got.Hosts, err)
	}
}
