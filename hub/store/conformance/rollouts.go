package conformance

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/berth-nix/berth/hub/store"
)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// testRollouts checks that rollouts start once per revision, come back
// oldest first, keep their state and actions across a reopen, and that
// each change has its audit entry while a refused one has none.
func testRollouts(t *testing.T, s store.Store, reopen func() store.Store) {
	ctx := context.Background()
	for i, rev := range []string{"A", "B", "A"} {
		created, err := s.StartRollout(ctx, store.Rollout{Revision: rev, Started: at(i), State: "rolling"}, entry("rollout.start", rev, i))
		if err != nil || created != (i < 2) {
			t.Fatalf("StartRollout %s: created %v, %v; want %v", rev, created, err, i < 2)
		}
	}
	must(t, s.SetRolloutState(ctx, "A", "halted", at(5), entry("rollout.halt", "A", 5)))
	must(t, s.AddRolloutAction(ctx, store.RolloutAction{Revision: "A", Kind: "resume", Actor: "key:ops", At: at(6)}, entry("rollout.resume", "A", 6)))
	must(t, s.AddRolloutAction(ctx, store.RolloutAction{Revision: "A", Kind: "abort", Actor: "key:ops", At: at(7)}, entry("rollout.abort", "A", 7)))
	if err := s.AddRolloutAction(ctx, store.RolloutAction{Revision: "Z", Kind: "abort", At: at(8)}, entry("rollout.abort", "Z", 8)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("action on an unknown rollout: got %v, want ErrNotFound", err)
	}
	if err := s.SetRolloutState(ctx, "Z", "halted", at(8), entry("rollout.halt", "Z", 8)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("state of an unknown rollout: got %v, want ErrNotFound", err)
	}
	must(t, s.Close())
	s = reopen()
	defer s.Close()
	rs, err := s.Rollouts(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Revision != "A" || rs[0].State != "halted" || !rs[0].Updated.Equal(at(5)) || !rs[0].Started.Equal(at(0)) || rs[1].Revision != "B" {
		t.Fatalf("Rollouts: got %+v, want A (halted at t0+5m) then B", rs)
	}
	if last, _ := s.Rollouts(ctx, 1); len(last) != 1 || last[0].Revision != "B" {
		t.Errorf("Rollouts(1): got %+v, want B", last)
	}
	acts, err := s.RolloutActions(ctx, "A")
	if err != nil || len(acts) != 2 || acts[0].Kind != "resume" || acts[1].Kind != "abort" || acts[1].Actor != "key:ops" || !acts[1].At.Equal(at(7)) {
		t.Fatalf("RolloutActions: got %+v, %v", acts, err)
	}
	add(t, s, "a", 1, "applied")
	add(t, s, "b", 2, "failed")
	add(t, s, "a", 3, "unchanged")
	since, err := s.ReportsSince(ctx, at(2))
	if err != nil || len(since) != 2 || since[0].Host != "b" || since[1].Report.Result != "unchanged" {
		t.Fatalf("ReportsSince t0+2m: got %d reports, %v; want b's then a's second", len(since), err)
	}
	audit, _ := s.Audit(ctx, store.Query{})
	audit = slices.DeleteFunc(audit, func(e store.Entry) bool { return e.Action == "report" })
	want := []string{"rollout.abort", "rollout.resume", "rollout.halt", "rollout.start", "rollout.start"}
	if len(audit) != len(want) {
		t.Fatalf("audit: got %d entries %+v, want %v", len(audit), audit, want)
	}
	for i, e := range audit {
		if e.Action != want[i] {
			t.Errorf("audit[%d]: got %s, want %s", i, e.Action, want[i])
		}
	}
}
