package control

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/reconciler"
)

// fakeBackend records what the API asked of it; the tests here are about
// the socket and who may use it, not about the agent behind it.
type fakeBackend struct {
	paused   *reconciler.Pause
	triggers int
	resumes  int
}

func (f *fakeBackend) Status(context.Context) (Status, error) {
	return Status{Host: "h1", Paused: f.paused, Agent: true}, nil
}

func (f *fakeBackend) History(limit int) ([]reconciler.Attempt, error) {
	return []reconciler.Attempt{{ID: "a1", Result: "applied"}, {ID: "a0"}}[:min(limit, 2)], nil
}

func (f *fakeBackend) Trigger(string) error {
	if f.paused != nil {
		return &PausedError{Pause: *f.paused}
	}
	f.triggers++
	return nil
}

func (f *fakeBackend) Pause(d time.Duration, by string) (reconciler.Pause, error) {
	f.paused = &reconciler.Pause{Since: time.Now(), Until: time.Now().Add(d), By: by}
	return *f.paused, nil
}

func (f *fakeBackend) Postpone(d time.Duration, by string) (reconciler.Pause, error) {
	return f.Pause(d, by)
}

func (f *fakeBackend) Resume() error { f.paused = nil; f.resumes++; return nil }

func (f *fakeBackend) Run(_ context.Context, retry bool) RunReport {
	if retry {
		return RunReport{Result: "applied", Revision: "main@sha1:abc"}
	}
	return RunReport{Result: "unchanged"}
}

// serve starts a server on a fresh socket and returns its path.
func serve(t *testing.T, b Backend, group string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "berth-control-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "berth.sock")
	l, err := Listen(path, group)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Server{Backend: b, Group: group}).Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return path
}

func TestRootCanDoEverything(t *testing.T) {
	requireRoot(t)
	b := &fakeBackend{}
	c := NewClient(serve(t, b, ""))
	ctx := context.Background()
	if err := c.Trigger(ctx); err != nil || b.triggers != 1 {
		t.Fatalf("trigger: got %v (%d triggers), want nil (1)", err, b.triggers)
	}
	p, err := c.Pause(ctx, 2*time.Hour)
	if err != nil || p.By != "uid 0" || time.Until(p.Until) < time.Hour {
		t.Fatalf("pause: got %+v, %v", p, err)
	}
	var ae *APIError
	if err := c.Trigger(ctx); !errors.As(err, &ae) || ae.Code != 409 {
		t.Errorf("trigger while paused: got %v, want HTTP 409", err)
	}
	st, err := c.Status(ctx)
	if err != nil || st.Host != "h1" || st.Paused == nil {
		t.Errorf("status: got %+v, %v", st, err)
	}
	if err := c.Resume(ctx); err != nil || b.resumes != 1 {
		t.Errorf("resume: got %v, %d resumes", err, b.resumes)
	}
	if atts, err := c.History(ctx, 1); err != nil || len(atts) != 1 || atts[0].ID != "a1" {
		t.Errorf("history: got %v, %v", atts, err)
	}
	if rep, err := c.Run(ctx, true); err != nil || rep.Result != "applied" {
		t.Errorf("run --retry: got %+v, %v", rep, err)
	}
}

func TestBadPauseDuration(t *testing.T) {
	requireRoot(t)
	c := NewClient(serve(t, &fakeBackend{}, ""))
	err := c.do(context.Background(), "POST", "/v1/pause", map[string][]string{"for": {"soon"}}, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 400 {
		t.Errorf("got %v, want HTTP 400", err)
	}
}

func TestUnreachable(t *testing.T) {
	c := NewClient(filepath.Join(t.TempDir(), "none.sock"))
	if _, err := c.Status(context.Background()); !errors.Is(err, ErrUnreachable) {
		t.Errorf("got %v, want ErrUnreachable", err)
	}
}

func TestListenRefusesALiveAgentAndRemovesAStaleSocket(t *testing.T) {
	path := serve(t, &fakeBackend{}, "")
	if _, err := Listen(path, ""); err == nil {
		t.Fatal("second agent on a live socket: got no error")
	}
	stale := filepath.Join(t.TempDir(), "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	l, err = Listen(stale, "")
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	l.Close()
	plain := filepath.Join(t.TempDir(), "file")
	os.WriteFile(plain, nil, 0o600)
	if _, err := Listen(plain, ""); err == nil {
		t.Error("a regular file in the socket's place: got no error")
	}
}

func requireRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "needs root: peer credentials of uid 0")
	}
}

// classedBackend answers every run with a failure of one class.
type classedBackend struct {
	fakeBackend
	err error
}

func (b *classedBackend) Run(context.Context, bool) RunReport {
	return ReportOf(reconciler.Report{Result: reconciler.ResultFailed, Err: b.err})
}

// TestRunKeepsTheErrorClass: berth run through the agent must see the
// error's class as the agent's reconcile did, not a bare message.
func TestRunKeepsTheErrorClass(t *testing.T) {
	requireRoot(t)
	for _, want := range []fault.Class{fault.Stalling, fault.Transient, fault.NoOp, fault.Unknown} {
		err := fault.As(want, errors.New("flake.nix: syntax error"))
		c := NewClient(serve(t, &classedBackend{err: err}, ""))
		r, cerr := c.Run(context.Background(), false)
		if cerr != nil {
			t.Fatal(cerr)
		}
		rep := r.Report()
		if got := fault.ClassOf(rep.Err); got != want || rep.Err.Error() != err.Error() || rep.Result != reconciler.ResultFailed {
			t.Errorf("%v: got %v %q (%s), want the same class and message", want, got, rep.Err, rep.Result)
		}
	}
}
