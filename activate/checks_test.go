package activate

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-nix/berth/health"
	"github.com/berth-nix/berth/internal/fault"
)

// spec normalizes s or fails t.
func spec(t *testing.T, s health.Spec) health.Spec {
	t.Helper()
	if s.Interval == 0 {
		s.Interval = 20 * time.Millisecond
	}
	if s.Deadline == 0 {
		s.Deadline = 300 * time.Millisecond
	}
	if s.Timeout == 0 {
		s.Timeout = 200 * time.Millisecond
	}
	if err := s.Normalize(); err != nil {
		t.Fatal(err)
	}
	return s
}

func writeHostChecks(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, health.HostChecksFile), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestHealthSpecs(t *testing.T) {
	agent := spec(t, health.Spec{Name: "db", Kind: health.KindTCP, Address: "127.0.0.1:1"})
	h := &Health{Checks: []health.Spec{agent}, HostFile: health.HostChecksFile, MaxDeadline: time.Minute}
	tests := []struct {
		name, file string
		n          int
		want       string // "" = accepted, else part of a Stalling error
	}{
		{"no file", "", 1, ""},
		{"host check added", "checks:\n  - {name: web, kind: http, url: 'http://127.0.0.1:1/'}\n", 2, ""},
		{"bad file", "checks:\n  - {name: web, kind: http}\n", 0, "berth-checks.yaml:2: check \"web\": url:"},
		{"over the agent's limit", "checks:\n  - {name: web, kind: tcp, address: 'h:1', deadline: 2m}\n", 0, "exceeds the agent's health.max_deadline 1m0s"},
		{"name of an agent check", "checks:\n  - {name: db, kind: tcp, address: 'h:1'}\n", 0, "declared twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				dir = writeHostChecks(t, tt.file)
			}
			specs, err := h.specs(dir)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if err != nil && fault.ClassOf(err) != fault.Stalling {
				t.Errorf("got class %v, want stalling: the revision is bad", fault.ClassOf(err))
			}
			if len(specs) != tt.n {
				t.Errorf("got %d checks, want %d", len(specs), tt.n)
			}
		})
	}
}

// TestChecksPreflightAndVerify runs both phases against a real listener
// and real commands: a check failing before the switch is not held
// against the new system under baseline, blocks it under strict, and a
// check that starts failing after the switch fails it with its output.
func TestChecksPreflightAndVerify(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	flag := filepath.Join(t.TempDir(), "broken")
	// Each check makes exactly one attempt, as long as it takes: its
	// outcome is its own, never a timeout on a loaded machine, and a
	// failing check reports at once (no attempt fits before the deadline).
	once := func(s health.Spec) health.Spec {
		s.Timeout, s.Deadline, s.Interval = time.Minute, time.Minute, time.Minute
		return spec(t, s)
	}
	checks := []health.Spec{
		once(health.Spec{Name: "listener", Kind: health.KindTCP, Address: ln.Addr().String(), Phase: health.PhaseBoth}),
		once(health.Spec{Name: "already-broken", Kind: health.KindCommand, Command: []string{"/bin/false"}, Phase: health.PhaseBoth}),
		once(health.Spec{Name: "app", Kind: health.KindCommand, Phase: health.PhaseVerify,
			Command: []string{"/bin/sh", "-c", "if [ -e " + flag + " ]; then echo app says no; exit 1; fi"}}),
	}
	logPath := filepath.Join(t.TempDir(), "attempt.log")
	a := &Activator{Health: &Health{Checks: checks}}
	var log bytes.Buffer
	var r Result
	req := Request{FlakeDir: t.TempDir(), LogPath: logPath, Log: &log}
	if err := a.preflightChecks(context.Background(), req, &r); err != nil {
		t.Fatalf("baseline preflight: got %v, want nil\n%s", err, log.String())
	}
	p := Progress{LogPath: logPath}
	if err := a.verifyChecks(context.Background(), p, &log, &r); err != nil {
		t.Errorf("verify with only a baseline failure: got %v, want nil\n%s", err, log.String())
	}
	os.WriteFile(flag, nil, 0o644)
	err = a.verifyChecks(context.Background(), p, &log, &r)
	if err == nil || !strings.Contains(err.Error(), "app (") || !strings.Contains(err.Error(), "app says no") || fault.ClassOf(err) != fault.Stalling {
		t.Errorf("verify with app failing: got %v, want a stalling error naming app and its output", err)
	}
	if strings.Contains(err.Error(), "already-broken") {
		t.Errorf("got %v, want the baseline failure left out", err)
	}
	if !strings.Contains(log.String(), "verify check listener: ok") {
		t.Errorf("log lacks the passing check:\n%s", log.String())
	}
	removePlan(logPath)
	if _, err := os.Stat(planPath(logPath)); !os.IsNotExist(err) {
		t.Errorf("plan still there after removePlan: %v", err)
	}
	a.Policy.Strict = true
	err = a.preflightChecks(context.Background(), req, &r)
	if err == nil || !strings.Contains(err.Error(), "already-broken") || fault.ClassOf(err) != fault.Transient {
		t.Errorf("strict preflight: got %v, want a transient error naming already-broken", err)
	}
}

func TestVerifyChecksInterrupted(t *testing.T) {
	a := &Activator{Health: &Health{Checks: []health.Spec{
		spec(t, health.Spec{Name: "slow", Kind: health.KindCommand, Command: []string{"/bin/sleep", "5"}, Timeout: 5 * time.Second, Deadline: 10 * time.Second}),
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var r Result
	err := a.verifyChecks(ctx, Progress{}, nil, &r)
	if !interrupted(ctx, err) {
		t.Errorf("got %v, want the context's error so the attempt counts as interrupted", err)
	}
}

// TestExonerate: a revert caused by reachability alone is re-examined
// from the previous system. A source still unreachable from there is down,
// not cut off by the switch: the failure becomes transient. A source that
// answers again keeps the revision rejected.
func TestExonerate(t *testing.T) {
	tests := []struct {
		name         string
		reachableNow bool
		want         fault.Class
	}{
		{"source down for both systems", false, fault.Transient},
		{"switch cut the source off", true, fault.Stalling},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var reachable atomic.Bool
			reach := spec(t, health.Spec{Name: "source-reachable", Kind: health.KindReachability, Timeout: 100 * time.Millisecond,
				Interval: 100 * time.Millisecond, Deadline: health.ResolverCacheAge + 500*time.Millisecond})
			a := &Activator{Health: &Health{Checks: []health.Spec{reach}, Env: health.Env{Reachability: func(context.Context) error {
				if reachable.Load() {
					return nil
				}
				return errors.New("dial tcp: lookup git.example.org: no such host")
			}}}}
			var r Result
			err := a.verifyChecks(context.Background(), Progress{}, nil, &r)
			if fault.ClassOf(err) != fault.Stalling {
				t.Fatalf("verify: got %v, want a stalling failure", err)
			}
			reachable.Store(tt.reachableNow)
			r = a.exonerate(context.Background(), Result{Outcome: Reverted, Err: err}, nil)
			if got := fault.ClassOf(r.Err); got != tt.want || !strings.Contains(r.Err.Error(), "source-reachable") {
				t.Errorf("got %v (%v), want class %v naming the check", r.Err, got, tt.want)
			}
		})
	}
}
