package reconciler

import (
	"context"
	"os"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
)

// dag is a commit history for the lineage decision: each commit maps to
// its parent.
type dag map[string]string

func (d dag) Descends(_ context.Context, ancestor, commit string) (bool, error) {
	for c := commit; c != ""; c = d[c] {
		if c == ancestor {
			return true, nil
		}
	}
	return false, nil
}

// lineageRec has applied c1 then c2 (a child of c1).
func lineageRec(t *testing.T) (*Reconciler, *fakeSource, *fakeApplier) {
	t.Helper()
	src := &fakeSource{art: art("c1", "sha256:d1")}
	app := &fakeApplier{res: applied}
	r := newRec(t, src, app)
	r.Lineage = dag{"c2": "c1", "c3": "c2"}
	for _, a := range []string{"c1", "c2"} {
		src.art = art(a, "sha256:"+a)
		if rep := r.Run(context.Background(), Options{}); rep.Result != ResultApplied {
			t.Fatalf("applying %s: got %q (%v), want applied", a, rep.Result, rep.Err)
		}
	}
	return r, src, app
}

func TestLineageSurvivesLostOrCorruptState(t *testing.T) {
	tests := []struct {
		name string
		lose func(t *testing.T, r *Reconciler)
	}{
		{"kept", func(*testing.T, *Reconciler) {}},
		{"state deleted", func(t *testing.T, r *Reconciler) {
			if err := os.Remove(r.Store.Path); err != nil {
				t.Fatal(err)
			}
		}},
		{"state corrupt and set aside", func(t *testing.T, r *Reconciler) {
			if err := writeFile(r.Store.Path, "{garbage"); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Store.SetAside(); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, src, app := lineageRec(t)
			tt.lose(t, r)
			src.art = art("c1", "sha256:c1") // a replay of the older commit
			rep := r.Run(context.Background(), Options{})
			if rep.Result != ResultRefused || fault.ClassOf(rep.Err) != fault.Stalling || app.applies != 2 {
				t.Fatalf("replayed c1: got %q (%v) after %d applies, want refused (stalling) after 2", rep.Result, rep.Err, app.applies)
			}
			if !contains(rep.Err.Error(), "does not descend from the last applied commit c2") {
				t.Errorf("got %q, want it to name c2", rep.Err)
			}
			src.art = art("c3", "sha256:c3")
			if rep := r.Run(context.Background(), Options{}); rep.Result != ResultApplied {
				t.Errorf("c3 descends from c2: got %q (%v), want applied", rep.Result, rep.Err)
			}
		})
	}
}

func TestCorruptAnchorHoldsEverything(t *testing.T) {
	r, src, app := lineageRec(t)
	if err := writeFile(r.Store.Anchor().Path, "{garbage"); err != nil {
		t.Fatal(err)
	}
	src.art = art("c3", "sha256:c3")
	rep := r.Run(context.Background(), Options{})
	if rep.Err == nil || fault.ClassOf(rep.Err) != fault.Transient || app.applies != 2 {
		t.Fatalf("got %q (%v) after %d applies, want a transient error and no apply", rep.Result, rep.Err, app.applies)
	}
	if !contains(rep.Err.Error(), r.Store.Anchor().Path) {
		t.Errorf("got %q, want it to name the anchor", rep.Err)
	}
}

func TestAllowRewriteMovesTheAnchor(t *testing.T) {
	r, src, _ := lineageRec(t)
	r.AllowRewrite = true
	src.art = art("other", "sha256:other")
	if rep := r.Run(context.Background(), Options{}); rep.Result != ResultApplied {
		t.Fatalf("got %q (%v), want applied with allow_history_rewrite", rep.Result, rep.Err)
	}
	a, err := r.Store.Anchor().Load()
	if err != nil || a == nil || a.Commit != "other" {
		t.Fatalf("anchor: got %+v, %v, want commit other", a, err)
	}
}

func TestAnchorKeep(t *testing.T) {
	r := newRec(t, &fakeSource{}, &fakeApplier{})
	an := r.Store.Anchor()
	for _, rev := range []*Revision{{Commit: "c1", Digest: "d"}, nil, {Digest: "sftp only"}} {
		if err := an.Keep(rev); err != nil {
			t.Fatal(err)
		}
	}
	got, err := an.Load()
	if err != nil || got == nil || got.Commit != "c1" {
		t.Fatalf("got %+v, %v, want c1 kept through a nil and a commit-less revision", got, err)
	}
	fi, err := os.Stat(an.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("anchor mode: got %v, %v, want 0600", fi.Mode(), err)
	}
}
