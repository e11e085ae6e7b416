package reconciler

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"
)

// TestRollbackIsRecordedAndTheBranchReappliedAfter: a rollback is saved
// in state, history and the report and is not drift; the next reconcile
// applies the branch again although its digest is unchanged.
func TestRollbackIsRecordedAndTheBranchReappliedAfter(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	app := &fakeApplier{res: applied}
	r := newRec(t, src, app)
	running := applied.Toplevel
	r.Running = func() (string, error) { return running, nil }
	ctx := context.Background()
	r.Run(ctx, Options{})
	old := "/nix/store/bbb-old"
	rep := r.Rollback(ctx, RollbackRequest{System: old, Generation: 3, By: "alice", Switch: func(_ context.Context, _, system, _ string, _ io.Writer) error {
		running = system
		return nil
	}})
	if rep.Result != ResultRolledBack || rep.Err != nil || rep.Revision != "main@sha1:c1" {
		t.Fatalf("rollback: got %q, %v, revision %q", rep.Result, rep.Err, rep.Revision)
	}
	st, _ := r.Store.Load()
	if b := st.RolledBack; b == nil || b.System != old || b.Generation != 3 || b.From != applied.Toplevel || b.By != "alice" {
		t.Errorf("state rolled_back: got %+v", st.RolledBack)
	}
	hist, _ := r.History.List()
	if len(hist) != 2 || hist[0].Result != ResultRolledBack || hist[0].Trigger != "rollback" || hist[0].Toplevel != old {
		t.Errorf("history: got %+v, want the rollback first", hist)
	}
	if hr, err := ReadReport(ReportPath(filepath.Dir(r.Store.Path))); err != nil || hr.RolledBack == nil || hr.Attempt == nil || hr.Attempt.Result != ResultRolledBack {
		t.Errorf("report: got %+v, %v; want the rollback in it", hr, err)
	}
	if rep := r.Run(ctx, Options{}); rep.Result != ResultApplied || app.applies != 2 {
		t.Errorf("after the rollback: got %q with %d applies, want the branch applied again", rep.Result, app.applies)
	}
	if st, _ := r.Store.Load(); st.RolledBack != nil || st.Drift != nil {
		t.Errorf("after re-applying: rolled_back %+v, drift %+v; want both cleared", st.RolledBack, st.Drift)
	}
}

func TestRollbackThatFailsIsRecorded(t *testing.T) {
	r := newRec(t, &fakeSource{art: art("c1", "sha256:d1")}, &fakeApplier{res: applied})
	rep := r.Rollback(context.Background(), RollbackRequest{System: "/nix/store/x", Switch: func(context.Context, string, string, string, io.Writer) error {
		return errors.New("boom")
	}})
	st, _ := r.Store.Load()
	if rep.Result != ResultFailed || st.RolledBack != nil || st.Last == nil || st.Last.Error != "boom" {
		t.Errorf("got %q, state %+v", rep.Result, st)
	}
}

// TestRollbackPauseEndsWhenTheBranchMoves: the pause berth rollback
// leaves holds while the source answers the same revision and ends on
// its own when it answers another.
func TestRollbackPauseEndsWhenTheBranchMoves(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	r := newRec(t, src, &fakeApplier{res: applied})
	a := &Agent{Rec: r, Pauses: PauseStore{Path: t.TempDir() + "/pause.json"}}
	if err := a.Pauses.Save(RollbackPause(time.Now(), "main@sha1:c1")); err != nil {
		t.Fatal(err)
	}
	if !a.holds("schedule") {
		t.Errorf("same revision: the pause does not hold")
	}
	src.art = art("c2", "sha256:d2")
	if a.holds("schedule") || a.Paused() != nil {
		t.Errorf("branch moved: the pause still holds")
	}
}
