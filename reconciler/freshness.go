package reconciler

import (
	"context"
	"fmt"
	"time"
)

// Freshness says whether what the source answers can be believed current.
// A server that is frozen (replaying an old but validly signed revision)
// or broken looks like "nothing new"; with a maximum age, both become
// visible as stale.
type Freshness struct {
	Stale bool `json:"stale"`
	// Reason says why, in words; empty when fresh.
	Reason string `json:"reason,omitempty"`
	// MaxAge is the bound judged against; zero means no bound was set.
	MaxAge time.Duration `json:"max_age_ns,omitempty"`
}

// seen records that the source answered rev at now, for people: an
// unverified revision string does not make the source fresh.
func (st *State) seen(rev string, now time.Time) {
	if rev != st.LastSeen || st.SeenSince.IsZero() {
		st.SeenSince = now
	}
	st.LastSeen = rev
}

// accepted advances the freshness clock to the time the artifact says it
// was made, once the artifact has passed every check before its digest is
// compared: fetched (and, with trust set, its signature verified) and its
// lineage accepted. Only then is that time the signer's word; a revision
// string answered by a poll, or a refused push, proves nothing. A time in
// the future counts as now, so that it cannot keep a host fresh for ever.
func (r *Reconciler) accepted(_ context.Context, w *run) error {
	made := w.art.LastUpdateTime
	if now := r.now(); made.After(now) {
		made = now
	}
	if made.After(w.st.MadeAt) {
		w.st.MadeAt = made
	}
	return nil
}

// Freshness judges st at now against maxAge. The source is stale when it
// has not answered for longer than maxAge, when the newest revision
// accepted from it was made longer than maxAge ago, or when it never
// answered although the agent tried. With maxAge zero nothing is stale.
func (st State) Freshness(now time.Time, maxAge time.Duration) Freshness {
	f := Freshness{MaxAge: maxAge}
	made := st.madeAt()
	switch {
	case maxAge <= 0:
	case st.LastPoll.IsZero() && (st.Last != nil || st.FetchFailures > 0):
		f.Stale, f.Reason = true, "the source has never answered"
	case !st.LastPoll.IsZero() && now.Sub(st.LastPoll) > maxAge:
		f.Stale, f.Reason = true, fmt.Sprintf("the source has not answered since %s, longer than max_age %s",
			st.LastPoll.UTC().Format(time.RFC3339), maxAge)
	case !made.IsZero() && now.Sub(made) > maxAge:
		f.Stale, f.Reason = true, fmt.Sprintf("the newest revision accepted from the source was made at %s, longer than max_age %s ago: nothing was published since, or the server is frozen",
			made.UTC().Format(time.RFC3339), maxAge)
	}
	return f
}

// madeAt is MadeAt or, for a state written before it was kept, when the
// applied configuration was applied: it was made no later than that.
func (st State) madeAt() time.Time {
	if st.MadeAt.IsZero() && st.Applied != nil {
		return st.Applied.At
	}
	return st.MadeAt
}
