package reconciler

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestPostponeOncePerRevision: a postpone holds reconciles for the time
// asked (at most PostponeMax); a second one, while it holds or after it
// ended for the same revision, is refused; a new revision may be
// postponed again; a root pause is never replaced by a postpone.
func TestPostponeOncePerRevision(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	r := newRec(t, src, &fakeApplier{res: applied})
	now := time.Unix(1_750_000_000, 0)
	r.Now = func() time.Time { return now }
	a := &Agent{Rec: r, Pauses: PauseStore{Path: filepath.Join(t.TempDir(), "pause.json")}, PostponeMax: 4 * time.Hour}
	r.Run(t.Context(), Options{})

	if _, err := a.Postpone(5*time.Hour, "alice"); !errors.Is(err, ErrPostponeRefused) {
		t.Errorf("longer than the maximum: got %v, want a refusal", err)
	}
	p, err := a.Postpone(0, "alice")
	if err != nil || !p.Until.Equal(now.Add(4*time.Hour)) || p.Postponed != "main@sha1:c1" {
		t.Fatalf("first postpone: got %+v, %v; want until now+4h for c1", p, err)
	}
	if !a.holds("schedule") {
		t.Errorf("the postpone does not hold a scheduled reconcile")
	}
	if _, err := a.Postpone(time.Hour, "bob"); !errors.Is(err, ErrPostponeRefused) {
		t.Errorf("second postpone while the first holds: got %v, want a refusal", err)
	}
	now = now.Add(5 * time.Hour)
	if a.holds("schedule") {
		t.Errorf("the postpone still holds after its time")
	}
	if _, err := a.Postpone(time.Hour, "bob"); !errors.Is(err, ErrPostponeRefused) {
		t.Errorf("second postpone of the same revision: got %v, want a refusal", err)
	}
	src.art = art("c2", "sha256:d2")
	r.Run(t.Context(), Options{})
	if _, err := a.Postpone(time.Hour, "bob"); err != nil {
		t.Errorf("postpone of a new revision: %v", err)
	}
	a.Resume()
	a.Pause(0, "uid 0")
	if _, err := a.Postpone(time.Hour, "carol"); !errors.Is(err, ErrPostponeRefused) {
		t.Errorf("postpone during root's pause: got %v, want a refusal", err)
	}
	a.PostponeMax = 0
	a.Resume()
	if _, err := a.Postpone(time.Hour, "carol"); !errors.Is(err, ErrPostponeRefused) {
		t.Errorf("postpone turned off: got %v, want a refusal", err)
	}
}
