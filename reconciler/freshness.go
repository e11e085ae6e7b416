package reconciler

import (
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

// seen records that the source answered rev at now.
func (st *State) seen(rev string, now time.Time) {
	if rev != st.LastSeen || st.SeenSince.IsZero() {
		st.SeenSince = now
	}
	st.LastSeen = rev
}

// Freshness judges st at now against maxAge. The source is stale when it
// has not answered for longer than maxAge, when it has answered the same
// revision for longer than maxAge, or when it never answered although
// the agent tried. With maxAge zero nothing is stale.
func (st State) Freshness(now time.Time, maxAge time.Duration) Freshness {
	f := Freshness{MaxAge: maxAge}
	switch {
	case maxAge <= 0:
	case st.LastPoll.IsZero() && (st.Last != nil || st.FetchFailures > 0):
		f.Stale, f.Reason = true, "the source has never answered"
	case !st.LastPoll.IsZero() && now.Sub(st.LastPoll) > maxAge:
		f.Stale, f.Reason = true, fmt.Sprintf("the source has not answered since %s, longer than max_age %s",
			st.LastPoll.UTC().Format(time.RFC3339), maxAge)
	case !st.SeenSince.IsZero() && now.Sub(st.SeenSince) > maxAge:
		f.Stale, f.Reason = true, fmt.Sprintf("the source has answered %s since %s, longer than max_age %s: nothing was published since, or the server is frozen",
			st.LastSeen, st.SeenSince.UTC().Format(time.RFC3339), maxAge)
	}
	return f
}
