// Package conformance is the test suite every hub store must pass. A
// backend's test calls Run with a function that opens a fresh, empty
// store on a real database.
package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/wire"
)

// Factory opens a fresh store; reopen, when not nil, closes nothing and
// opens the same database again (to check that state survives).
type Factory func(t *testing.T) (s store.Store, reopen func() store.Store)

// Run runs every conformance test against stores open makes.
func Run(t *testing.T, open Factory) {
	for _, c := range []struct {
		name string
		test func(*testing.T, store.Store, func() store.Store)
	}{
		{"ReportsAndHistory", testReports},
		{"EveryChangeAudited", testAudited},
		{"Keys", testKeys},
		{"Facts", testFacts},
		{"PruneKeepsLatest", testPrune},
		{"SurvivesReopen", testReopen},
		{"ConcurrentWriters", testConcurrent},
		{"Rollouts", testRollouts},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, reopen := open(t)
			c.test(t, s, reopen)
		})
	}
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// report makes a stored report of host, received at t0+minutes.
func report(host string, minutes int, result string) store.Report {
	rep := wire.Report{Version: wire.ReportVersion, Host: host, At: t0.Add(time.Duration(minutes) * time.Minute), Result: result,
		Applied: &wire.Revision{Revision: fmt.Sprintf("main@sha1:%040d", minutes), Digest: "sha256:d"}}
	raw, _ := json.Marshal(rep)
	return store.Report{Host: host, Received: rep.At, Report: rep, Raw: raw, LogTail: "log of " + host}
}

func entry(action, target string, minutes int) store.Entry {
	return store.Entry{At: t0.Add(time.Duration(minutes) * time.Minute), Actor: "host:" + target, Action: action, Target: target}
}

func add(t *testing.T, s store.Store, host string, minutes int, result string) int64 {
	t.Helper()
	id, err := s.AddReport(context.Background(), report(host, minutes, result), entry("report", host, minutes))
	if err != nil {
		t.Fatalf("AddReport %s: %v", host, err)
	}
	return id
}

func testReports(t *testing.T, s store.Store, _ func() store.Store) {
	ctx := context.Background()
	add(t, s, "b", 1, "applied")
	add(t, s, "a", 2, "failed")
	last := add(t, s, "b", 3, "unchanged")
	latest, err := s.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 2 || latest[0].Host != "a" || latest[1].Host != "b" {
		t.Fatalf("Latest: got %+v, want a then b", latest)
	}
	if hosts, err := s.Hosts(ctx); err != nil || fmt.Sprint(hosts) != "[a b]" {
		t.Errorf("Hosts: got %v, %v, want [a b]", hosts, err)
	}
	if b := latest[1]; b.ID != last || b.Report.Result != "unchanged" || b.LogTail != "log of b" || !b.Received.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("latest of b: got id %d %q %q %v, want id %d unchanged", b.ID, b.Report.Result, b.LogTail, b.Received, last)
	}
	hist, err := s.History(ctx, "b", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Report.Result != "unchanged" || hist[1].Report.Result != "applied" {
		t.Errorf("History(b): got %d reports, want unchanged then applied", len(hist))
	}
	if hist[1].Report.Applied == nil || hist[1].Report.Applied.Revision == "" {
		t.Errorf("stored report lost its applied revision: %+v", hist[1].Report)
	}
	if one, _ := s.History(ctx, "b", 1); len(one) != 1 {
		t.Errorf("History limit 1: got %d", len(one))
	}
}

func testAudited(t *testing.T, s store.Store, _ func() store.Store) {
	ctx := context.Background()
	add(t, s, "a", 1, "applied")
	must(t, s.PutKey(ctx, store.Key{Name: "ops", Role: store.RoleOperate, Hash: "h1", Created: t0}, entry("key.add", "ops", 2)))
	must(t, s.SetFact(ctx, "head", "abc", entry("webhook", "main", 3)))
	must(t, s.Record(ctx, entry("trigger", "a", 4)))
	must(t, s.DeleteKey(ctx, "ops", entry("key.delete", "ops", 5)))
	got, err := s.Audit(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"key.delete", "trigger", "webhook", "key.add", "report"}
	if len(got) != len(want) {
		t.Fatalf("audit: got %d entries %+v, want %v", len(got), got, want)
	}
	for i, e := range got {
		if e.Action != want[i] || e.At.IsZero() || e.Actor == "" {
			t.Errorf("audit[%d]: got %+v, want action %s with time and actor", i, e, want[i])
		}
	}
	only, _ := s.Audit(ctx, store.Query{Action: "trigger", Target: "a"})
	if len(only) != 1 {
		t.Errorf("audit filtered by action and target: got %d, want 1", len(only))
	}
	since, _ := s.Audit(ctx, store.Query{Since: t0.Add(4 * time.Minute)})
	if len(since) != 2 {
		t.Errorf("audit since t0+4m: got %d, want 2", len(since))
	}
	// A failed change writes no audit entry.
	if err := s.DeleteKey(ctx, "ops", entry("key.delete", "ops", 6)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a missing key: got %v, want ErrNotFound", err)
	}
	if again, _ := s.Audit(ctx, store.Query{}); len(again) != len(want) {
		t.Errorf("a failed change was audited: %d entries, want %d", len(again), len(want))
	}
}

func testKeys(t *testing.T, s store.Store, _ func() store.Store) {
	ctx := context.Background()
	must(t, s.PutKey(ctx, store.Key{Name: "b", Role: store.RoleRead, Hash: "hb", Created: t0}, entry("key.add", "b", 0)))
	must(t, s.PutKey(ctx, store.Key{Name: "a", Role: store.RoleAdmin, Hash: "ha", Created: t0}, entry("key.add", "a", 0)))
	if err := s.PutKey(ctx, store.Key{Name: "a", Role: store.RoleRead, Hash: "hx", Created: t0}, entry("key.add", "a", 0)); err == nil {
		t.Errorf("a second key named a was accepted")
	}
	keys, err := s.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].Name != "a" || keys[0].Role != store.RoleAdmin || keys[0].Hash != "ha" || !keys[0].Created.Equal(t0) {
		t.Errorf("Keys: got %+v", keys)
	}
}

func testFacts(t *testing.T, s store.Store, _ func() store.Store) {
	ctx := context.Background()
	if v, err := s.Fact(ctx, "head"); v != "" || err != nil {
		t.Errorf("unset fact: got %q, %v", v, err)
	}
	must(t, s.SetFact(ctx, "head", "one", entry("webhook", "main", 0)))
	must(t, s.SetFact(ctx, "head", "two", entry("webhook", "main", 1)))
	if v, _ := s.Fact(ctx, "head"); v != "two" {
		t.Errorf("fact: got %q, want two", v)
	}
}

func testPrune(t *testing.T, s store.Store, _ func() store.Store) {
	ctx := context.Background()
	add(t, s, "a", 1, "applied")
	add(t, s, "a", 2, "applied")
	add(t, s, "b", 3, "applied")
	n, err := s.Prune(ctx, t0.Add(10*time.Minute), entry("audit.prune", "", 20))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("pruned %d audit entries, want 3", n)
	}
	left, _ := s.Audit(ctx, store.Query{})
	if len(left) != 1 || left[0].Action != "audit.prune" {
		t.Errorf("after prune: got %+v, want only the prune's own entry", left)
	}
	if latest, _ := s.Latest(ctx); len(latest) != 2 {
		t.Errorf("prune dropped a host's latest report: %d hosts left", len(latest))
	}
	if hist, _ := s.History(ctx, "a", 10); len(hist) != 1 {
		t.Errorf("history of a after prune: got %d, want only the latest", len(hist))
	}
}

func testReopen(t *testing.T, s store.Store, reopen func() store.Store) {
	ctx := context.Background()
	add(t, s, "a", 1, "applied")
	must(t, s.PutKey(ctx, store.Key{Name: "k", Role: store.RoleRead, Hash: "h", Created: t0}, entry("key.add", "k", 1)))
	must(t, s.Close())
	s2 := reopen()
	defer s2.Close()
	latest, err := s2.Latest(ctx)
	if err != nil || len(latest) != 1 {
		t.Fatalf("after reopen: %d hosts, %v", len(latest), err)
	}
	if keys, _ := s2.Keys(ctx); len(keys) != 1 {
		t.Errorf("after reopen: %d keys, want 1", len(keys))
	}
	if a, _ := s2.Audit(ctx, store.Query{}); len(a) != 2 {
		t.Errorf("after reopen: %d audit entries, want 2", len(a))
	}
}

func testConcurrent(t *testing.T, s store.Store, _ func() store.Store) {
	ctx := context.Background()
	const writers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				host := fmt.Sprintf("h%d", w)
				if _, err := s.AddReport(ctx, report(host, i, "applied"), entry("report", host, i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent AddReport: %v", err)
	}
	latest, _ := s.Latest(ctx)
	if len(latest) != writers {
		t.Errorf("hosts: got %d, want %d", len(latest), writers)
	}
	if a, _ := s.Audit(ctx, store.Query{Limit: 10000}); len(a) != writers*each {
		t.Errorf("audit entries: got %d, want %d", len(a), writers*each)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
