package reconciler

import (
	"errors"
	"fmt"
	"time"
)

// ErrPostponeRefused is wrapped by every refusal of Postpone: postponing
// turned off, too long, already paused, or already postponed once.
var ErrPostponeRefused = errors.New("postpone refused")

// Postpone holds reconciles for d (at most PostponeMax) at the request of
// someone who is not root, once per revision of the source: while any
// pause holds, or once the revision the source last answered was
// postponed already, it is refused. The postpone is an ordinary pause
// that ends on its own; root's berth resume ends it early.
func (a *Agent) Postpone(d time.Duration, by string) (Pause, error) {
	switch {
	case a.PostponeMax <= 0:
		return Pause{}, fmt.Errorf("%w: postponing is turned off on this host (control.postpone_max)", ErrPostponeRefused)
	case d <= 0:
		d = a.PostponeMax
	case d > a.PostponeMax:
		return Pause{}, fmt.Errorf("%w: %s is longer than this host allows (%s)", ErrPostponeRefused, d, a.PostponeMax)
	}
	if p := a.Paused(); p != nil {
		return Pause{}, fmt.Errorf("%w: reconciles are already held until %s (by %s)", ErrPostponeRefused, untilText(*p), p.By)
	}
	st, err := a.Rec.Store.Load()
	if err != nil {
		return Pause{}, err
	}
	if old, err := a.Pauses.Load(); err == nil && old != nil && old.Postponed != "" && old.Postponed == st.LastSeen {
		return Pause{}, fmt.Errorf("%w: the update to %s was already postponed once (by %s)", ErrPostponeRefused, old.Postponed, old.By)
	}
	now := a.Rec.now()
	p := Pause{Since: now, Until: now.Add(d), By: by, Postponed: st.LastSeen}
	if p.Postponed == "" {
		p.Postponed = "(nothing seen yet)"
	}
	if err := a.Pauses.Save(p); err != nil {
		return p, err
	}
	a.Rec.log().Info("update postponed", "until", untilText(p), "by", by, "revision", st.LastSeen)
	return p, nil
}
