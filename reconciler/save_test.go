package reconciler

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// fileStamp is what changes when a file is written or replaced.
type fileStamp struct {
	ino   uint64
	mtime time.Time
	size  int64
}

// stamps lists every file under dir.
func stamps(t *testing.T, dir string) map[string]fileStamp {
	t.Helper()
	out := map[string]fileStamp{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fileStamp{info.Sys().(*syscall.Stat_t).Ino, info.ModTime(), info.Size()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffStamps(before, after map[string]fileStamp) []string {
	var changed []string
	for p, a := range after {
		if b, ok := before[p]; !ok || b != a {
			changed = append(changed, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			changed = append(changed, p+" (removed)")
		}
	}
	return changed
}

// TestNoOpPollWritesNothing: once a revision is settled, a poll that
// finds it again leaves every file of the state directory untouched (no
// write, so no fsync), while status still sees the new poll time; when
// the poll time is HeartbeatEvery old it is written, and a real change is
// written at once.
func TestNoOpPollWritesNothing(t *testing.T) {
	src := &fakeSource{art: art("a1", "d1")}
	r := newRec(t, src, &fakeApplier{res: applied})
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.Now = func() time.Time { return clock }
	dir := filepath.Dir(r.Store.Path)
	r.Run(context.Background(), Options{})
	clock = clock.Add(time.Minute)
	r.Run(context.Background(), Options{}) // the first no-op writes its result

	before := stamps(t, dir)
	for range 5 {
		clock = clock.Add(time.Minute)
		if rep := r.Run(context.Background(), Options{}); rep.Result != ResultUnchanged {
			t.Fatalf("got %v, want %v", rep.Result, ResultUnchanged)
		}
	}
	if changed := diffStamps(before, stamps(t, dir)); len(changed) > 0 {
		t.Errorf("no-op polls wrote %v, want nothing written", changed)
	}
	st, err := r.Store.Load()
	if err != nil || !st.LastPoll.Equal(clock) {
		t.Errorf("got last poll %v, %v, want %v (kept in memory)", st.LastPoll, err, clock)
	}
	rep, err := ReadReport(ReportPath(dir))
	if err != nil || !rep.LastPoll.Equal(clock) {
		t.Errorf("got report last poll %v, %v, want %v", rep.LastPoll, err, clock)
	}

	// A fresh process (the memory gone) reads the last written state:
	// only the poll time is older.
	pending.Delete(r.Store.Path)
	old, err := r.Store.Load()
	if err != nil || old.Settled != st.Settled || old.Applied == nil || *old.Applied != *st.Applied || !old.LastPoll.Before(clock) {
		t.Errorf("after a restart got %+v, %v, want %+v with an older poll time", old, err, st)
	}

	clock = clock.Add(HeartbeatEvery)
	r.Run(context.Background(), Options{})
	if changed := diffStamps(before, stamps(t, dir)); len(changed) != 2 {
		t.Errorf("after %v got %v written, want state.json and report.json", HeartbeatEvery, changed)
	}
	pending.Delete(r.Store.Path)
	if st, _ := r.Store.Load(); !st.LastPoll.Equal(clock) {
		t.Errorf("got last poll on disk %v, want %v", st.LastPoll, clock)
	}

	before = stamps(t, dir)
	clock = clock.Add(time.Minute)
	src.art = art("a2", "d2")
	r.Run(context.Background(), Options{})
	pending.Delete(r.Store.Path)
	if st, _ := r.Store.Load(); st.Settled != src.art.Revision {
		t.Errorf("a new revision: got settled %q on disk, want %q", st.Settled, src.art.Revision)
	}
	if changed := diffStamps(before, stamps(t, dir)); len(changed) == 0 {
		t.Error("a new revision wrote nothing")
	}
}

// TestStateWrittenByAnotherIsNotMasked: a skipped write is remembered
// only while the file still holds what it was judged against; a change
// made on disk since (by another writer) wins.
func TestStateWrittenByAnotherIsNotMasked(t *testing.T) {
	s := Store{Path: filepath.Join(t.TempDir(), "state.json")}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Save(State{Settled: "r1", LastPoll: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(State{Settled: "r1", LastPoll: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path, []byte(`{"version":1,"settled":"r2"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Load(); err != nil || st.Settled != "r2" {
		t.Errorf("got %+v, %v, want settled r2 from disk", st, err)
	}
}
