package rollout

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const threeWaves = `groups:
  canary: {hosts: [c1]}
  early: {hosts: [e1, e2]}
  office: {tags: [office]}
tags:
  o1: [office]
waves:
  - name: canary
    groups: [canary]
    soak: 30m
  - name: early
    groups: [early]
    after: [canary]
    soak: 1h
    failure_budget: 1
  - name: office
    groups: [office]
    after: [canary]
    windows: ["Mon-Fri 09:00-17:00"]
  - name: late
    groups: [early, office]
    after: [early, office]
`

// t0 is a Monday, 10:00 UTC.
var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func ok(host, rev string, min int) Report { return Report{Host: host, Revision: rev, At: at(min)} }
func bad(host, rev string, min int) Report {
	return Report{Host: host, Revision: rev, Failed: true, Reason: "unit x failed", At: at(min)}
}

func TestDecide(t *testing.T) {
	p, err := Parse("rollout.yaml", []byte(threeWaves))
	if err != nil {
		t.Fatal(err)
	}
	hosts := []string{"c1", "e1", "e2", "o1", "x9"}
	r1 := []Revision{{ID: "A", Start: at(0)}}
	r2 := []Revision{{ID: "A", Start: at(0)}, {ID: "B", Start: at(100)}}
	for _, tc := range []struct {
		name     string
		timeline []Revision
		reports  []Report
		actions  []Action
		now      int
		allowed  map[string]string // host → revision, "" = wait
		state    string
		wait     map[string]string // host → part of the reason
	}{
		{name: "canary first", timeline: r1, now: 1,
			allowed: map[string]string{"c1": "A", "e1": "", "e2": "", "o1": "", "x9": ""}, state: StateRolling,
			wait: map[string]string{"e1": "wave canary has not finished (0 of 1", "x9": "wave canary has not finished"}},
		{name: "canary soaking", timeline: r1, reports: []Report{ok("c1", "A", 5)}, now: 20,
			allowed: map[string]string{"c1": "A", "e1": "", "o1": ""}, state: StateRolling,
			wait: map[string]string{"e1": "wave canary is soaking until 2026-11-30T10:35:00Z"}},
		{name: "soak over: early and office open", timeline: r1, reports: []Report{ok("c1", "A", 5)}, now: 35,
			allowed: map[string]string{"c1": "A", "e1": "A", "e2": "A", "o1": "A", "x9": ""}, state: StateRolling,
			wait: map[string]string{"x9": "wave early has not finished"}},
		{name: "window closed", timeline: r1, reports: []Report{ok("c1", "A", 5)}, now: 8 * 60,
			allowed: map[string]string{"e1": "A", "o1": ""}, state: StateRolling,
			wait: map[string]string{"o1": "outside its windows (Mon-Fri 09:00-17:00)"}},
		{name: "one failure within early's budget", timeline: r1,
			reports: []Report{ok("c1", "A", 5), bad("e1", "A", 40), ok("e2", "A", 50), ok("o1", "A", 45)}, now: 50 + 61,
			allowed: map[string]string{"x9": "A"}, state: StateRolling},
		{name: "dependency on two waves", timeline: r1,
			reports: []Report{ok("c1", "A", 5), ok("e1", "A", 40), ok("e2", "A", 50)}, now: 200,
			allowed: map[string]string{"x9": "", "o1": "A"}, state: StateRolling,
			wait: map[string]string{"x9": "wave office has not finished (0 of 1"}},
		{name: "all done", timeline: r1,
			reports: []Report{ok("c1", "A", 5), ok("e1", "A", 40), ok("e2", "A", 50), ok("o1", "A", 45), ok("x9", "A", 120)}, now: 121,
			allowed: map[string]string{"c1": "A", "x9": "A"}, state: StateDone},
		{name: "canary fails: halted", timeline: r1, reports: []Report{bad("c1", "A", 5)}, now: 500,
			allowed: map[string]string{"c1": "", "e1": "", "e2": "", "o1": "", "x9": ""}, state: StateHalted,
			wait: map[string]string{"e1": "the rollout of A is halted: c1 failed (unit x failed)"}},
		{name: "early over budget halts; applied hosts stay", timeline: r1,
			reports: []Report{ok("c1", "A", 5), bad("e1", "A", 40), bad("e2", "A", 41), ok("o1", "A", 45)}, now: 500,
			allowed: map[string]string{"o1": "A", "x9": ""}, state: StateHalted},
		{name: "resumed after the canary failed", timeline: r1, reports: []Report{bad("c1", "A", 5)},
			actions: []Action{{Revision: "A", Kind: ActionResume, At: at(10)}}, now: 41,
			allowed: map[string]string{"e1": "A", "o1": "A"}, state: StateRolling},
		{name: "resumed, still soaking from the resume", timeline: r1, reports: []Report{bad("c1", "A", 5)},
			actions: []Action{{Revision: "A", Kind: ActionResume, At: at(10)}}, now: 39,
			allowed: map[string]string{"e1": ""}, state: StateRolling,
			wait: map[string]string{"e1": "soaking until 2026-11-30T10:40:00Z"}},
		{name: "halts again after resume", timeline: r1, reports: []Report{bad("c1", "A", 5), ok("c1", "A", 6), bad("e1", "A", 50), bad("e2", "A", 51)},
			actions: []Action{{Revision: "A", Kind: ActionResume, At: at(10)}}, now: 60,
			allowed: map[string]string{"o1": ""}, state: StateHalted},
		{name: "repeated good reports do not extend the soak", timeline: r1,
			reports: []Report{ok("c1", "A", 5), ok("c1", "A", 20), ok("c1", "A", 34)}, now: 36,
			allowed: map[string]string{"e1": "A"}, state: StateRolling},
		{name: "a failure carried in later reports counts once, when first reported", timeline: r1,
			reports: []Report{bad("c1", "A", 5), bad("c1", "A", 15), bad("c1", "A", 30)},
			actions: []Action{{Revision: "A", Kind: ActionResume, At: at(10)}}, now: 41,
			allowed: map[string]string{"e1": "A"}, state: StateRolling},
		{name: "aborted", timeline: r1, reports: []Report{ok("c1", "A", 5)},
			actions: []Action{{Revision: "A", Kind: ActionAbort, At: at(10)}}, now: 100,
			allowed: map[string]string{"c1": "A", "e1": ""}, state: StateAborted,
			wait: map[string]string{"e1": "the rollout of A was aborted"}},
		{name: "action in the future ignored", timeline: r1, reports: []Report{ok("c1", "A", 5)},
			actions: []Action{{Revision: "A", Kind: ActionAbort, At: at(200)}}, now: 100,
			allowed: map[string]string{"e1": "A"}, state: StateRolling},
		{name: "newer commit supersedes halted", timeline: r2, reports: []Report{bad("c1", "A", 5)}, now: 101,
			allowed: map[string]string{"c1": "B", "e1": ""}, state: StateRolling,
			wait: map[string]string{"e1": "wave canary has not finished"}},
		{name: "newer commit restarts at the canary", timeline: r2, reports: []Report{ok("c1", "A", 5), ok("e1", "A", 40)}, now: 101,
			allowed: map[string]string{"c1": "B", "e1": "", "e2": ""}, state: StateRolling},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sts, ds := Decide(Input{Policy: p, Hosts: hosts, Timeline: tc.timeline, Reports: tc.reports, Actions: tc.actions, Now: at(tc.now)})
			for h, want := range tc.allowed {
				if got := ds[h].Revision; got != want {
					t.Errorf("%s: got revision %q (wait %q), want %q", h, got, ds[h].Wait, want)
				}
			}
			for h, want := range tc.wait {
				if !strings.Contains(ds[h].Wait, want) {
					t.Errorf("%s: got wait %q, want it to contain %q", h, ds[h].Wait, want)
				}
			}
			if got := sts[len(sts)-1].State; got != tc.state {
				t.Errorf("got state %s, want %s", got, tc.state)
			}
			if len(sts) > 1 && sts[0].State != StateSuperseded {
				t.Errorf("older rollout is %s, want superseded", sts[0].State)
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	p, err := Parse("rollout.yaml", []byte(threeWaves))
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Policy: p, Hosts: []string{"c1", "e1"}, Timeline: []Revision{{ID: "A", Start: at(0)}, {ID: "B", Start: at(10)}}, Now: at(11)}
	for _, tc := range []struct{ host, rev, want, wait string }{
		{"c1", "B", "B", ""},
		{"c1", "A", "", "A is superseded by B"},
		{"c1", "C", "", "no rollout of C has started"},
		{"e1", "B", "", "wave canary has not finished"},
	} {
		d := Allowed(in, tc.host, tc.rev)
		if d.Revision != tc.want || !strings.Contains(d.Wait, tc.wait) {
			t.Errorf("Allowed(%s, %s) = %q wait %q, want %q wait %q", tc.host, tc.rev, d.Revision, d.Wait, tc.want, tc.wait)
		}
	}
}

func TestHaltStatusNamesFailingHosts(t *testing.T) {
	p, _ := Parse("rollout.yaml", []byte(threeWaves))
	sts, _ := Decide(Input{Policy: p, Hosts: []string{"c1", "e1", "e2", "o1"}, Timeline: []Revision{{ID: "A", Start: at(0)}},
		Reports: []Report{ok("c1", "A", 5), bad("e1", "A", 40), bad("e2", "A", 42)}, Now: at(50)})
	st := sts[0]
	if st.State != StateHalted || !st.HaltedAt.Equal(at(42)) || len(st.Failing) != 2 || st.Waves[1].State != WaveHalted {
		t.Fatalf("got %+v, want halted at %v by e1 and e2 in wave early", st, at(42))
	}
	if st.Waves[0].State != WaveDone || st.Waves[2].State != WaveOpen || st.Waves[3].State != WaveWaiting {
		t.Fatalf("wave states %s %s %s, want done open waiting", st.Waves[0].State, st.Waves[2].State, st.Waves[3].State)
	}
}

// BenchmarkAllowed10k is one agent's question in a fleet of 10,000 hosts
// that have all reported: the cost of the hub's answer.
func BenchmarkAllowed10k(b *testing.B) {
	p, _ := Parse("rollout.yaml", []byte(threeWaves))
	in := Input{Policy: p, Timeline: []Revision{{ID: "A", Start: at(0)}}, Now: at(600)}
	for i := range 10000 {
		h := fmt.Sprintf("h%d", i)
		in.Hosts = append(in.Hosts, h)
		in.Reports = append(in.Reports, ok(h, "A", 5+i%300))
	}
	b.ResetTimer()
	for range b.N {
		Allowed(in, "h42", "A")
	}
}
