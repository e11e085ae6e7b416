package health

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

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

func TestRunAll(t *testing.T) {
	never := Func{CheckName: "never", Fn: func(context.Context) error { return errors.New("down") }}
	results, err := RunAll(context.Background(),
		[]Check{passAfter("now", 0), passAfter("third", 2), never},
		300*time.Millisecond, 10*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "check never: down") {
		t.Fatalf("got %v, want an error naming the check that never passed", err)
	}
	if strings.Contains(err.Error(), "check now") || strings.Contains(err.Error(), "check third") {
		t.Errorf("got %v, want only the failing check named", err)
	}
	wantAttempts := []int{1, 3}
	for i, want := range wantAttempts {
		if r := results[i]; r.Err != nil || r.Attempts != want {
			t.Errorf("%s: got %d attempts, err %v, want %d, nil", r.Name, r.Attempts, r.Err, want)
		}
	}
	if r := results[2]; r.Attempts < 5 || r.Elapsed < 200*time.Millisecond {
		t.Errorf("never: got %d attempts in %v, want retries until the deadline", r.Attempts, r.Elapsed)
	}
}

func TestRunAllDeadlineReachesCheck(t *testing.T) {
	hang := Func{CheckName: "hang", Fn: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}
	start := time.Now()
	_, err := RunAll(context.Background(), []Check{hang}, 100*time.Millisecond, time.Second)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the deadline's error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v, want RunAll to stop at its deadline", d)
	}
}

func TestRunAllNoChecks(t *testing.T) {
	if results, err := RunAll(context.Background(), nil, time.Second, time.Second); err != nil || len(results) != 0 {
		t.Errorf("got %v, %v, want no results and nil", results, err)
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Run(context.Background())
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

func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			http.Error(w, "no", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	tests := []struct {
		path string
		ok   bool
	}{{"/", true}, {"/broken", false}}
	for _, tt := range tests {
		err := HTTP{URL: srv.URL + tt.path, Timeout: time.Second}.Run(context.Background())
		if (err == nil) != tt.ok {
			t.Errorf("GET %s: got %v, want ok=%v", tt.path, err, tt.ok)
		}
	}
}
