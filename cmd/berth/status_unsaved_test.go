package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/control"
	"github.com/berth-nix/berth/source"
)

// oneSource answers one artifact, or fails to fetch it with err.
type oneSource struct {
	art source.Artifact
	err error
}

func (s *oneSource) Poll(context.Context) (string, error)           { return s.art.Revision, nil }
func (s *oneSource) Fetch(context.Context) (source.Artifact, error) { return s.art, s.err }

// applyAll applies whatever it is given.
type applyAll struct{}

func (applyAll) Apply(context.Context, activate.Request, activate.Journal) activate.Result {
	return activate.Result{Outcome: activate.Applied, Toplevel: "/nix/store/aaa-top"}
}

func (applyAll) Resume(context.Context, activate.Progress, activate.Journal, io.Writer) activate.Result {
	return activate.Result{Outcome: activate.Applied}
}

// smallTmpfs mounts a 256 KiB tmpfs and returns it.
func smallTmpfs(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "berth-test", dir).CombinedOutput(); err != nil {
		testenv.Missing(t, "cannot mount a tmpfs: "+err.Error()+": "+string(out))
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file into dir until its file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return p
		}
	}
}

// TestStatusWhileTheStateDirectoryIsFull: with the state directory on a
// full file system, a failed reconcile cannot be saved; berth status,
// answered by the agent over its socket, shows that failure and says
// the state is not saved, although state.json still says "applied".
// The agent goes on counting from its memory; once space is back, the
// next reconcile saves and the warning goes.
func TestStatusWhileTheStateDirectoryIsFull(t *testing.T) {
	dir := smallTmpfs(t)
	src := &oneSource{art: source.Artifact{Host: "h", Revision: "main@sha1:c1", Commit: "c1", Digest: "sha256:d1"}}
	rec := &reconciler.Reconciler{Host: "h", Source: src, Applier: applyAll{}, Attr: "x",
		Store: reconciler.Store{Path: filepath.Join(dir, "state.json")}, History: reconciler.History{Dir: filepath.Join(dir, "history"), Keep: 5},
		LockPath: filepath.Join(dir, "lock")}
	rec.Log = newLogger(io.Discard, "error")
	sched, err := reconciler.CronParser.Parse("@every 1h")
	if err != nil {
		t.Fatal(err)
	}
	a := &reconciler.Agent{Rec: rec, Schedule: sched, Pauses: reconciler.PauseStore{Path: filepath.Join(dir, "pause.json")}}
	sock := filepath.Join(t.TempDir(), "berth.sock")
	l, err := control.Listen(sock, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go (&control.Server{Backend: control.AgentBackend{Agent: a}}).Serve(ctx, l)
	c := &config.Config{Hostname: "h", StateDir: dir}
	c.Control.Socket = sock

	if rep := a.RunNow(ctx, reconciler.Options{}); rep.Result != reconciler.ResultApplied {
		t.Fatalf("first reconcile: got %s (%v), want applied", rep.Result, rep.Err)
	}
	filler := fill(t, dir)
	src.art = source.Artifact{Host: "h", Revision: "main@sha1:c2", Commit: "c2", Digest: "sha256:d2"}
	src.err = fault.Transientf("dial tcp 127.0.0.1:1: connection refused")
	if rep := a.RunNow(ctx, reconciler.Options{}); rep.Result != reconciler.ResultFailed {
		t.Fatalf("reconcile on a full disk: got %s (%v), want failed", rep.Result, rep.Err)
	}
	onDisk, err := rec.Store.Load()
	if err != nil || onDisk.Last == nil || onDisk.Last.Result != reconciler.ResultApplied || onDisk.FetchFailures != 0 {
		t.Fatalf("state.json: got %+v (%v), want the old applied result (the disk is full)", onDisk.Last, err)
	}
	s, err := readStatus(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Agent || s.State.FetchFailures != 1 || s.State.Last == nil || s.State.Last.Result != reconciler.ResultFailed ||
		!strings.Contains(s.StateNotSaved, "no space left on device") {
		t.Fatalf("status: got agent %v, failures %d, last %+v, not saved %q; want the failure and why it is not saved",
			s.Agent, s.State.FetchFailures, s.State.Last, s.StateNotSaved)
	}
	var out bytes.Buffer
	printStatus(&out, s)
	for _, want := range []string{"NOT SAVED", "1 transient in a row", "failed main@sha1:c2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("berth status printed\n%s\nwant %q", out.String(), want)
		}
	}

	// The agent goes on from what it could not save: failures keep
	// counting, so backoff keeps growing.
	if rep := a.RunNow(ctx, reconciler.Options{}); rep.Failures != 2 {
		t.Errorf("second failure on a full disk: got %d failures in a row, want 2", rep.Failures)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	src.err = nil
	if rep := a.RunNow(ctx, reconciler.Options{}); rep.Result != reconciler.ResultApplied {
		t.Fatalf("with space again: got %s (%v), want applied", rep.Result, rep.Err)
	}
	if s, err := readStatus(ctx, c); err != nil || s.StateNotSaved != "" || s.State.Applied == nil || s.State.Applied.Digest != "sha256:d2" {
		t.Errorf("after space came back: got %+v (%v), want c2 applied and saved", s, err)
	}
}
