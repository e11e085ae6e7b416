// Package rollout reads a fleet's staged-rollout policy (rollout.yaml at
// the root of the configuration repository) and decides, from the policy,
// a revision's timeline and the reports so far, which host may take which
// revision. It is pure: no I/O beyond parsing bytes, no clock of its own.
// The hub and the agent both import it.
package rollout

import (
	"path"
	"regexp"
	"time"
)

// FileName is where the policy lives in the configuration repository, so
// that it is reviewed, signed and versioned with the configurations.
const FileName = "rollout.yaml"

// MaxSize bounds the policy file; a larger one is refused unread.
const MaxSize = 1 << 20

// Policy is a parsed rollout.yaml.
type Policy struct {
	// Tags are the tags of each host, for groups that select by tag.
	Tags map[string][]string
	// Groups by name.
	Groups map[string]*Group
	// Waves in file order; a wave depends only on waves before it, so
	// the graph has no cycles by construction.
	Waves []*Wave
	// Location is the time zone of the waves' windows (UTC by default).
	Location *time.Location
}

// Group is a named set of hosts, by name (or path.Match pattern) or tag.
type Group struct {
	Name  string
	Hosts []string
	Tags  []string
	// Delay is how old a revision's signed commit must be before a host
	// of this group applies it when there is no hub.
	Delay time.Duration
}

// Wave is one stage of a rollout.
type Wave struct {
	Name   string
	Groups []string
	// After names the waves that must be done first; empty means the
	// wave starts with the rollout.
	After []string
	// Soak is how long after the wave's last host reported success the
	// waves after it wait.
	Soak time.Duration
	// FailureBudget is how many hosts of the wave may fail or revert
	// before the rollout halts.
	FailureBudget int
	// Windows, when set, are the only times hosts of the wave start on a
	// revision.
	Windows []Window
}

// Window is a weekly time window: days of the week and a daily span in
// minutes after midnight. End at or before Start spans midnight.
type Window struct {
	Days       [7]bool // indexed by time.Weekday
	Start, End int
	Text       string
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Selects reports whether the group selects host.
func (g *Group) Selects(host string, tags []string) bool {
	for _, p := range g.Hosts {
		if ok, _ := path.Match(p, host); ok {
			return true
		}
	}
	for _, want := range g.Tags {
		for _, t := range tags {
			if t == want {
				return true
			}
		}
	}
	return false
}

// WaveOf returns the first wave, in file order, one of whose groups
// selects host; nil when none does.
func (p *Policy) WaveOf(host string) *Wave {
	for _, w := range p.Waves {
		for _, g := range w.Groups {
			if p.Groups[g].Selects(host, p.Tags[host]) {
				return w
			}
		}
	}
	return nil
}

// Delay returns the longest delay of the groups that select host: a host
// without a hub waits until its revision's commit is that old.
func (p *Policy) Delay(host string) time.Duration {
	var d time.Duration
	for _, g := range p.Groups {
		if g.Selects(host, p.Tags[host]) && g.Delay > d {
			d = g.Delay
		}
	}
	return d
}

// Open reports whether t falls in one of the wave's windows (always,
// when it has none).
func (w *Wave) Open(t time.Time) bool {
	if len(w.Windows) == 0 {
		return true
	}
	for _, win := range w.Windows {
		if win.Contains(t) {
			return true
		}
	}
	return false
}

// Contains reports whether t (in its own location) is inside the window.
func (win Window) Contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	if win.Start < win.End {
		return win.Days[day] && m >= win.Start && m < win.End
	}
	// Spanning midnight: the evening part belongs to the day, the
	// morning part to the day before.
	if m >= win.Start {
		return win.Days[day]
	}
	return m < win.End && win.Days[(day+6)%7]
}
