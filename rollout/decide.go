package rollout

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Revision is one commit the fleet was asked to take, in the order the
// hub learned of them; its rollout began at Start.
type Revision struct {
	ID    string
	Start time.Time
}

// Report is what a host said about a revision: it runs it (applied, or
// unchanged because its directory did not change), or it failed or
// reverted it.
type Report struct {
	Host     string
	Revision string
	Failed   bool
	Reason   string
	At       time.Time
}

// Action is an admin's resume or abort of one revision's rollout.
type Action struct {
	Revision string
	Kind     string // ActionResume or ActionAbort
	At       time.Time
}

// Admin actions.
const (
	ActionResume = "resume"
	ActionAbort  = "abort"
)

// Rollout states.
const (
	StateRolling    = "rolling"
	StateHalted     = "halted"
	StateAborted    = "aborted"
	StateDone       = "done"
	StateSuperseded = "superseded"
)

// Wave states.
const (
	WaveWaiting = "waiting" // an earlier wave is not done
	WaveOpen    = "open"    // hosts may take the revision
	WaveSoaking = "soaking" // every host reported; the soak runs
	WaveDone    = "done"
	WaveHalted  = "halted" // more failures than the budget
)

// RestWave is the wave of hosts no group selects: they go last, after
// every wave of the policy.
const RestWave = "(rest)"

// Input is everything a decision depends on; Decide reads nothing else.
type Input struct {
	Policy   *Policy
	Hosts    []string   // every host known
	Timeline []Revision // oldest first; the last is the current rollout
	Reports  []Report
	Actions  []Action
	Now      time.Time
}

// Status is one revision's rollout at Now.
type Status struct {
	Revision string
	State    string
	Start    time.Time
	// HaltedAt and Failing say when and why a halted rollout stopped.
	HaltedAt time.Time
	Failing  []Report
	Waves    []WaveStatus
	// applied are the hosts that run the revision.
	applied map[string]bool
}

// WaveStatus is one stage of a rollout.
type WaveStatus struct {
	Name          string
	State         string
	Hosts         []string
	Applied       []string
	Failed        []string
	FailureBudget int
	// OpenedAt is when its hosts could start; DoneAt when the waves after
	// it may (its last report plus the soak). Zero while unknown.
	OpenedAt, DoneAt time.Time
}

// Decision is what one host may do now.
type Decision struct {
	Host string
	Wave string
	// Revision is the revision the host may take; empty means it stays
	// on what it runs, for the reason in Wait.
	Revision string
	Wait     string
	// Until, when set, is when the wait ends unless something changes.
	Until time.Time
}

// Decide returns the status of every revision in the timeline (oldest
// first) and a decision per host for the newest.
func Decide(in Input) ([]Status, map[string]Decision) {
	pl := newPlan(in)
	all := statuses(in, pl)
	decisions := map[string]Decision{}
	for _, h := range in.Hosts {
		d := Decision{Host: h, Wave: pl.member[h], Wait: "no revision to roll out"}
		if len(all) > 0 {
			d = decide(in, pl, all[len(all)-1], h)
		}
		decisions[h] = d
	}
	return all, decisions
}

func statuses(in Input, pl plan) []Status {
	var all []Status
	for i, rev := range in.Timeline {
		st := evaluate(in, pl, rev)
		if i < len(in.Timeline)-1 && st.State != StateDone && st.State != StateAborted {
			st.State = StateSuperseded
		}
		all = append(all, st)
	}
	return all
}

// Allowed answers an agent that asks whether it may apply rev now. The
// waves are judged over in.Hosts, to which host is added when missing.
func Allowed(in Input, host, rev string) Decision {
	if !contains(in.Hosts, host) {
		in.Hosts = append(in.Hosts[:len(in.Hosts):len(in.Hosts)], host)
	}
	pl := newPlan(in)
	if len(in.Timeline) == 0 {
		return Decision{Host: host, Wave: pl.member[host], Wait: fmt.Sprintf("no rollout of %s has started", rev)}
	}
	current := in.Timeline[len(in.Timeline)-1]
	d := decide(in, pl, evaluate(in, pl, current), host)
	switch {
	case d.Revision == rev:
		return d
	case !known(in.Timeline, rev):
		d.Wait = fmt.Sprintf("no rollout of %s has started", rev)
	case rev != current.ID:
		d.Wait = fmt.Sprintf("%s is superseded by %s", rev, current.ID)
	case d.Wait == "":
		d.Wait = fmt.Sprintf("the fleet is rolling out %s", current.ID)
	}
	d.Revision = ""
	return d
}

func known(tl []Revision, rev string) bool {
	for _, r := range tl {
		if r.ID == rev {
			return true
		}
	}
	return false
}

// plan is what every decision of one Input shares: the waves, with the
// rest wave when some host is in none, and each host's wave.
type plan struct {
	waves  []*Wave
	member map[string]string
	hosts  map[string][]string // by wave
}

func newPlan(in Input) plan {
	pl := plan{waves: in.Policy.Waves, member: map[string]string{}, hosts: map[string][]string{}}
	rest := false
	for _, h := range in.Hosts {
		name := RestWave
		if w := in.Policy.WaveOf(h); w != nil {
			name = w.Name
		} else {
			rest = true
		}
		pl.member[h] = name
		pl.hosts[name] = append(pl.hosts[name], h)
	}
	if rest {
		r := &Wave{Name: RestWave}
		for _, w := range pl.waves {
			r.After = append(r.After, w.Name)
		}
		pl.waves = append(pl.waves[:len(pl.waves):len(pl.waves)], r)
	}
	return pl
}

func decide(in Input, pl plan, st Status, host string) Decision {
	d := Decision{Host: host, Wave: pl.member[host]}
	var ws WaveStatus
	var w *Wave
	for i, x := range pl.waves {
		if x.Name == d.Wave {
			ws, w = st.Waves[i], x
		}
	}
	switch {
	case st.applied[host]:
		d.Revision = st.Revision
	case st.State == StateAborted:
		d.Wait = fmt.Sprintf("the rollout of %s was aborted", st.Revision)
	case st.State == StateHalted:
		d.Wait = fmt.Sprintf("the rollout of %s is halted: %s", st.Revision, failingText(st.Failing))
	case ws.State == WaveWaiting:
		d.Wait, d.Until = waitingFor(in, st, w)
	case !w.Open(in.Now.In(in.Policy.Location)):
		d.Wait = fmt.Sprintf("wave %s is outside its windows (%s)", w.Name, windowsText(w))
	default:
		d.Revision = st.Revision
	}
	return d
}

// waitingFor names the first earlier wave that is not done, and when it
// will be if only its soak is left.
func waitingFor(in Input, st Status, w *Wave) (string, time.Time) {
	for _, a := range w.After {
		for _, s := range st.Waves {
			if s.Name != a || s.State == WaveDone {
				continue
			}
			if s.State == WaveSoaking {
				return fmt.Sprintf("wave %s is soaking until %s", a, s.DoneAt.UTC().Format(time.RFC3339)), s.DoneAt
			}
			return fmt.Sprintf("wave %s has not finished (%d of %d hosts reported)", a, len(s.Applied)+len(s.Failed), len(s.Hosts)), time.Time{}
		}
	}
	return "an earlier wave has not finished", time.Time{}
}

// evaluate computes one revision's rollout from its reports and actions.
func evaluate(in Input, pl plan, rev Revision) Status {
	st := Status{Revision: rev.ID, Start: rev.Start, State: StateRolling, applied: map[string]bool{}}
	latest := latestReports(in.Reports, rev.ID, in.Now)
	var resumes []time.Time
	for _, a := range in.Actions {
		if a.Revision != rev.ID || a.At.After(in.Now) {
			continue
		}
		switch a.Kind {
		case ActionAbort:
			st.State = StateAborted
		case ActionResume:
			resumes = append(resumes, a.At)
		}
	}
	sort.Slice(resumes, func(i, j int) bool { return resumes[i].Before(resumes[j]) })
	lastResume := time.Time{}
	if len(resumes) > 0 {
		lastResume = resumes[len(resumes)-1]
	}
	byName := map[string]WaveStatus{}
	allDone := true
	for _, w := range pl.waves {
		ws := WaveStatus{Name: w.Name, State: WaveWaiting, FailureBudget: w.FailureBudget, Hosts: pl.hosts[w.Name]}
		var failures []Report
		last := time.Time{}
		for _, h := range ws.Hosts {
			r, ok := latest[h]
			if !ok {
				continue
			}
			last = later(last, r.At)
			if !r.Failed {
				ws.Applied = append(ws.Applied, h)
				st.applied[h] = true
				continue
			}
			ws.Failed = append(ws.Failed, h)
			if r.At.After(lastResume) {
				failures = append(failures, r)
			} else {
				last = later(last, lastResume)
			}
		}
		opened, ok := rev.Start, true
		for _, a := range w.After {
			dep := byName[a]
			ok = ok && dep.State == WaveDone
			opened = later(opened, dep.DoneAt)
		}
		if ok {
			ws.OpenedAt, ws.State = opened, WaveOpen
		}
		if len(failures) > w.FailureBudget {
			sort.Slice(failures, func(i, j int) bool { return failures[i].At.Before(failures[j].At) })
			ws.State = WaveHalted
			if st.State == StateRolling {
				st.State = StateHalted
			}
			st.HaltedAt = later(st.HaltedAt, failures[w.FailureBudget].At)
			st.Failing = append(st.Failing, failures...)
		} else if ok && len(ws.Applied)+len(ws.Failed) == len(ws.Hosts) {
			ws.DoneAt = later(opened, last)
			if len(ws.Hosts) > 0 {
				ws.DoneAt = ws.DoneAt.Add(w.Soak)
			}
			ws.State = WaveSoaking
			if !ws.DoneAt.After(in.Now) {
				ws.State = WaveDone
			}
		}
		allDone = allDone && ws.State == WaveDone
		st.Waves = append(st.Waves, ws)
		byName[w.Name] = ws
	}
	if allDone && st.State == StateRolling {
		st.State = StateDone
	}
	return st
}

// latestReports keeps each host's last outcome on rev up to now, dated
// by the first report of that outcome: an agent repeats its state in
// every report (a failed attempt is carried forward), and a repeat must
// neither extend a soak nor count as a new failure.
func latestReports(reports []Report, rev string, now time.Time) map[string]Report {
	var mine []Report
	for _, r := range reports {
		if r.Revision == rev && !r.At.After(now) {
			mine = append(mine, r)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].At.Before(mine[j].At) })
	out := map[string]Report{}
	for _, r := range mine {
		if prev, ok := out[r.Host]; !ok || prev.Failed != r.Failed {
			out[r.Host] = r
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func failingText(rs []Report) string {
	var parts []string
	for _, r := range rs {
		s := r.Host + " failed"
		if r.Reason != "" {
			s += " (" + r.Reason + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func windowsText(w *Wave) string {
	var parts []string
	for _, win := range w.Windows {
		parts = append(parts, win.Text)
	}
	return strings.Join(parts, ", ")
}
