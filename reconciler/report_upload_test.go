package reconciler

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/internal/fault"
)

// uploads records what an UploadReporter hands its uploader.
type uploads struct {
	mu      sync.Mutex
	reports [][]byte
	logs    []string
	err     error
}

func (u *uploads) UploadReport(_ context.Context, report []byte, logPath string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.reports, u.logs = append(u.reports, report), append(u.logs, logPath)
	return u.err
}

// TestUploadReporter: after an attempt the uploader gets a report that
// ReadReport accepts, carrying the signer, and the attempt's log; after a
// no-change poll it gets the report alone.
func TestUploadReporter(t *testing.T) {
	a := art("c1", "sha256:bad")
	a.Signer = "alice (ssh ED25519 SHA256:x)"
	app := &fakeApplier{res: activate.Result{Outcome: activate.Reverted, Phase: activate.PhaseVerify,
		Err: fault.Stallingf("units failed after the switch: x.service")}}
	r := newRec(t, &fakeSource{art: a}, app)
	up := &uploads{}
	r.Reporter = &UploadReporter{Uploader: up}
	r.Run(context.Background(), Options{})
	r.Run(context.Background(), Options{})
	if len(up.reports) != 2 {
		t.Fatalf("got %d uploads, want 2", len(up.reports))
	}
	p := filepath.Join(t.TempDir(), ReportFile)
	if err := os.WriteFile(p, up.reports[0], 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := ReadReport(p)
	if err != nil || rep.Result != ResultReverted || rep.Attempt == nil || rep.Attempt.Signer != a.Signer ||
		rep.Rejected == nil || rep.Rejected.Signer != a.Signer || rep.SeenSince.IsZero() {
		t.Fatalf("got %+v (%v), want a reverted report with the signer on the attempt and the rejection", rep, err)
	}
	log, _ := os.ReadFile(up.logs[0])
	if !strings.Contains(string(log), "berth: attempt "+rep.Attempt.ID) || up.logs[1] != "" {
		t.Errorf("got logs %q (first holds %q), want the attempt's log, then none", up.logs, log)
	}
}

// failing is a reporter that fails, after waiting for its context to end
// when hang is set.
type failing struct{ hang bool }

func (f failing) Send(ctx context.Context, _ HostReport, _ string) error {
	if f.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return errors.New("refused")
}

// TestReporters: every reporter gets the report, even when another fails
// or hangs until the deadline, and each failure is reported.
func TestReporters(t *testing.T) {
	tests := []struct {
		name  string
		first Reporter
		want  string
	}{
		{"all succeed", &UploadReporter{Uploader: &uploads{}}, ""},
		{"one fails", failing{}, "reporter 1: refused"},
		{"one hangs", failing{hang: true}, "reporter 1: context deadline exceeded"},
	}
	for _, tt := range tests {
		up := &uploads{}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := Reporters{tt.first, &UploadReporter{Uploader: up}}.Send(ctx, HostReport{Version: reportVersion, Host: "h"}, "/l.log")
		cancel()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want || len(up.reports) != 1 || up.logs[0] != "/l.log" {
			t.Errorf("%s: got %q and %d uploads, want %q and 1", tt.name, got, len(up.reports), tt.want)
		}
	}
}

func TestHostReportFreshness(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rep := HostReport{Result: ResultUnchanged, Seen: "sftp@sha256:1", LastPoll: now.Add(-time.Hour), SeenSince: now.Add(-time.Hour), MadeAt: now.Add(-30 * time.Hour)}
	tests := []struct {
		maxAge time.Duration
		stale  bool
	}{{0, false}, {48 * time.Hour, false}, {24 * time.Hour, true}}
	for _, tt := range tests {
		if got := ReportFreshness(rep, now, tt.maxAge); got.Stale != tt.stale {
			t.Errorf("max age %s: got %+v, want stale %v", tt.maxAge, got, tt.stale)
		}
	}
}

// TestUploadFailureDoesNotFailTheReconcile: a refused upload is logged;
// the reconcile's result and the local report stand.
func TestUploadFailureDoesNotFailTheReconcile(t *testing.T) {
	r := newRec(t, &fakeSource{art: art("c1", "sha256:good")}, &fakeApplier{res: applied})
	up := &uploads{err: fault.Transientf("upload reports/report.json: permission denied")}
	r.Reporter = &UploadReporter{Uploader: up}
	if rep := r.Run(context.Background(), Options{}); rep.Result != ResultApplied || rep.Err != nil {
		t.Errorf("got %s %v, want applied with no error", rep.Result, rep.Err)
	}
	if len(up.reports) != 1 || readReport(t, r).Result != ResultApplied {
		t.Errorf("got %d uploads and local report %+v, want one upload tried and the local report written", len(up.reports), readReport(t, r))
	}
}

// TestUploadReporterSkipsRepeats: a no-op poll's report, which differs
// from the last one sent only in its times, is not uploaded again until
// the heartbeat is due; a report that says something new is sent at once.
func TestUploadReporterSkipsRepeats(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	r := newRec(t, src, &fakeApplier{res: applied})
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.Now = func() time.Time { return clock }
	up := &uploads{}
	r.Reporter = &UploadReporter{Uploader: up, Heartbeat: time.Hour}
	run := func(d time.Duration) {
		clock = clock.Add(d)
		r.Run(context.Background(), Options{})
	}
	run(0)           // applied: sent with its log
	run(time.Minute) // unchanged: sent, it says something new
	for range 5 {
		run(time.Minute) // repeats: not sent
	}
	if len(up.reports) != 2 {
		t.Fatalf("got %d uploads after 7 runs, want 2", len(up.reports))
	}
	run(time.Hour) // the heartbeat
	if len(up.reports) != 3 {
		t.Fatalf("got %d uploads after the heartbeat, want 3", len(up.reports))
	}
	src.art = art("c2", "sha256:d2")
	run(time.Minute)
	if len(up.reports) != 4 {
		t.Fatalf("got %d uploads after a new revision, want 4", len(up.reports))
	}
}
