package health

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testenv"
)

// Func adapts a function to Check: a fake for the probing logic.
type Func struct {
	CheckName string
	Fn        func(ctx context.Context) error
}

func (f Func) Name() string                  { return f.CheckName }
func (f Func) Run(ctx context.Context) error { return f.Fn(ctx) }

// passAfter is a check that fails its first n attempts.
func passAfter(name string, n int32) Check {
	var calls atomic.Int32
	return Func{CheckName: name, Fn: func(context.Context) error {
		if calls.Add(1) <= n {
			return errors.New("not yet")
		}
		return nil
	}}
}

// probe retries c every 10ms until deadline.
func probe(c Check, deadline time.Duration) Probe {
	return Probe{Check: c, Interval: 10 * time.Millisecond, Deadline: deadline}
}

func TestRunAll(t *testing.T) {
	never := Func{CheckName: "never", Fn: func(context.Context) error { return errors.New("down") }}
	results := RunAll(context.Background(), []Probe{
		probe(passAfter("now", 0), time.Second), probe(passAfter("third", 2), time.Second),
		probe(never, 300*time.Millisecond), probe(never, 100*time.Millisecond)})
	failed := Failed(results)
	if len(failed) != 2 || failed[0].Name != "never" {
		t.Fatalf("got %v failed, want the two never-passing probes", failed)
	}
	if got := Describe(failed[:1]); got != "never (down)" {
		t.Errorf("Describe: got %q, want %q", got, "never (down)")
	}
	wantAttempts := []int{1, 3}
	for i, want := range wantAttempts {
		if r := results[i]; r.Err != nil || r.Attempts != want {
			t.Errorf("%s: got %d attempts, err %v, want %d, nil", r.Name, r.Attempts, r.Err, want)
		}
	}
	if r := results[2]; r.Attempts < 5 || r.Elapsed < 250*time.Millisecond {
		t.Errorf("never: got %d attempts in %v, want retries until its deadline", r.Attempts, r.Elapsed)
	}
	if r := results[3]; r.Elapsed > 250*time.Millisecond {
		t.Errorf("never with 100ms deadline: ran for %v, want its own deadline kept", r.Elapsed)
	}
}

func TestRunAllDeadlineReachesCheck(t *testing.T) {
	hang := Func{CheckName: "hang", Fn: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}
	start := time.Now()
	results := RunAll(context.Background(), []Probe{{Check: hang, Interval: time.Second, Deadline: 100 * time.Millisecond}})
	if !errors.Is(results[0].Err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the deadline's error", results[0].Err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v, want RunAll to stop at its deadline", d)
	}
}

// TestRunAllNoAttemptLeft: a failing probe whose next attempt would start
// after its deadline reports its failure at once instead of waiting for
// the deadline; its one attempt keeps its own error.
func TestRunAllNoAttemptLeft(t *testing.T) {
	never := Func{CheckName: "never", Fn: func(context.Context) error { return errors.New("down") }}
	start := time.Now()
	results := RunAll(context.Background(), []Probe{{Check: never, Interval: time.Minute, Deadline: 30 * time.Second}})
	if r := results[0]; r.Attempts != 1 || r.Err == nil || r.Err.Error() != "down" {
		t.Errorf("got %d attempts, err %v, want 1 attempt failing with down", r.Attempts, r.Err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v, want the verdict without waiting for the 30s deadline", d)
	}
}

func TestRunAllNoChecks(t *testing.T) {
	if results := RunAll(context.Background(), nil); len(results) != 0 {
		t.Errorf("got %v, want no results", results)
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		name string
		c    Command
		want string
	}{
		{"passes", Command{Argv: []string{"/bin/sh", "-c", "true"}}, ""},
		{"fails with output", Command{Argv: []string{"/bin/sh", "-c", "echo db-not-ready; exit 2"}}, "db-not-ready"},
		{"times out", Command{Argv: []string{"/bin/sh", "-c", "exec sleep 10"}, Timeout: 50 * time.Millisecond}, "killed"},
		{"missing", Command{Argv: []string{"/nonexistent/check"}}, "no such file"},
		{"empty", Command{}, "no command"},
		{"background child killed too", Command{Argv: []string{"/bin/sh", "-c", "sleep 10 & sleep 10"}, Timeout: 50 * time.Millisecond}, "killed"},
		{"unknown user", Command{Argv: []string{"/bin/true"}, User: "no-such-user-berth"}, "no-such-user-berth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := tt.c.Run(context.Background())
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v, want the command killed at its timeout", d)
			}
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	up := TCP{Addr: addr, Timeout: time.Second}
	if err := up.Run(context.Background()); err != nil {
		t.Errorf("listening: got %v, want nil", err)
	}
	ln.Close()
	if err := up.Run(context.Background()); err == nil {
		t.Errorf("closed: got nil, want an error")
	}
}

func TestCommandAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "needs root to change user")
	}
	script := `test "$(id -un)" = nobody && test "$USER" = nobody || { id; exit 1; }`
	c := Command{CheckName: "as-nobody", Argv: []string{"/bin/sh", "-c", script}, User: "nobody", Timeout: 5 * time.Second}
	if err := c.Run(context.Background()); err != nil {
		t.Errorf("got %v, want the command run as nobody", err)
	}
}
