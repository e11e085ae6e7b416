package rollout

import (
	"strings"
	"testing"
	"time"
)

const example = `# staged rollout of the fleet
timezone: UTC
tags:
  laptop2: [office]
  laptop3: [office, thinkpad]
groups:
  canary:
    hosts: [laptop1]
  office:
    tags: [office]
    delay: 2h
  rest:
    hosts: ["*"]
    delay: 24h
waves:
  - name: canary
    groups: [canary]
    soak: 30m
  - name: early
    groups: [office]
    after: [canary]
    soak: 1h
    failure_budget: 1
    windows: ["Mon-Fri 09:00-17:00"]
  - name: everyone
    groups: [rest]
    after: [canary, early]
`

func TestParseExample(t *testing.T) {
	p, err := Parse("rollout.yaml", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Waves) != 3 || p.Waves[1].Soak != time.Hour || p.Waves[1].FailureBudget != 1 || len(p.Waves[2].After) != 2 {
		t.Fatalf("waves parsed as %+v %+v %+v", p.Waves[0], p.Waves[1], p.Waves[2])
	}
	for host, want := range map[string]string{"laptop1": "canary", "laptop2": "early", "laptop3": "early", "desk9": "everyone"} {
		if got := p.WaveOf(host); got == nil || got.Name != want {
			t.Errorf("WaveOf(%s) = %v, want %s", host, got, want)
		}
	}
	for host, want := range map[string]time.Duration{"laptop1": 24 * time.Hour, "laptop2": 24 * time.Hour} {
		if got := p.Delay(host); got != want {
			t.Errorf("Delay(%s) = %v, want %v", host, got, want)
		}
	}
	mon10 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) // a Monday
	if !p.Waves[1].Open(mon10) || p.Waves[1].Open(mon10.Add(8*time.Hour)) || p.Waves[1].Open(mon10.AddDate(0, 0, 5)) {
		t.Errorf("window Mon-Fri 09:00-17:00 judged wrongly")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"empty", "", "p.yaml:0: empty policy"},
		{"no waves", "groups:\n  a: {hosts: [h]}\n", "p.yaml:1: waves: at least one wave"},
		{"unknown top key", "wavez: []\n", "p.yaml:1: wavez: unknown key"},
		{"unknown wave key", "groups:\n  a: {hosts: [h]}\nwaves:\n  - name: w\n    groups: [a]\n    soaktime: 1h\n", "p.yaml:6: waves[0].soaktime: unknown key"},
		{"unknown group", "groups:\n  a: {hosts: [h]}\nwaves:\n  - name: w\n    groups: [b]\n", "p.yaml:5: waves[0].groups[0]: unknown group \"b\""},
		{"later wave", "groups:\n  a: {hosts: [h]}\nwaves:\n  - name: w\n    groups: [a]\n    after: [v]\n  - name: v\n    groups: [a]\n", "p.yaml:6: waves[0].after[0]: unknown wave \"v\""},
		{"self cycle", "groups:\n  a: {hosts: [h]}\nwaves:\n  - name: w\n    groups: [a]\n    after: [w]\n", "unknown wave \"w\""},
		{"duplicate wave", "groups:\n  a: {hosts: [h]}\nwaves:\n  - {name: w, groups: [a]}\n  - {name: w, groups: [a]}\n", "p.yaml:5: waves[1].name: wave \"w\" is defined twice"},
		{"duplicate key", "groups:\n  a: {hosts: [h]}\ngroups:\n  b: {hosts: [h]}\n", "p.yaml:3: groups: given twice"},
		{"duplicate group", "groups:\n  a: {hosts: [h]}\n  a: {hosts: [i]}\n", "p.yaml:3: groups.a: given twice"},
		{"empty group", "groups:\n  a: {}\n", "p.yaml:2: groups.a: selects no host"},
		{"bad soak", "groups:\n  a: {hosts: [h]}\nwaves:\n  - {name: w, groups: [a], soak: soon}\n", "p.yaml:4: waves[0].soak: must be a duration"},
		{"negative soak", "groups:\n  a: {hosts: [h]}\nwaves:\n  - {name: w, groups: [a], soak: -1h}\n", "waves[0].soak: must be a duration"},
		{"bad budget", "groups:\n  a: {hosts: [h]}\nwaves:\n  - {name: w, groups: [a], failure_budget: -1}\n", "p.yaml:4: waves[0].failure_budget: must be a whole number"},
		{"bad window day", "groups:\n  a: {hosts: [h]}\nwaves:\n  - name: w\n    groups: [a]\n    windows: [\"Xyz 09:00-10:00\"]\n", "p.yaml:6: waves[0].windows[0]: unknown day"},
		{"bad window time", "groups:\n  a: {hosts: [h]}\nwaves:\n  - {name: w, groups: [a], windows: [\"Mon 9-10\"]}\n", "is not a time of day"},
		{"empty window", "groups:\n  a: {hosts: [h]}\nwaves:\n  - {name: w, groups: [a], windows: [\"10:00-10:00\"]}\n", "is empty"},
		{"no groups", "waves:\n  - name: w\n", "p.yaml:2: waves[0].groups: wave \"w\" needs at least one group"},
		{"no name", "groups:\n  a: {hosts: [h]}\nwaves:\n  - groups: [a]\n", "p.yaml:4: waves[0].name: is required"},
		{"bad name", "groups:\n  ../x: {hosts: [h]}\n", "p.yaml:2: groups: \"../x\" is not a valid name"},
		{"bad pattern", "groups:\n  a: {hosts: [\"[\"]}\n", "p.yaml:2: groups.a.hosts[0]: \"[\" is neither"},
		{"alias", "groups:\n  a: &x {hosts: [h]}\n  b: *x\n", "anchors and aliases are not allowed"},
		{"merge key", "groups:\n  a: {hosts: [h], <<: {tags: [t]}}\n", "groups.a.<<: unknown key"},
		{"tags not list", "tags:\n  h: office\n", "p.yaml:2: tags.h: must be a list"},
		{"duplicate tag", "tags:\n  h: [a, a]\n", "p.yaml:2: tags.h[1]: \"a\" is listed twice"},
		{"bad timezone", "timezone: Mars/Olympus\n", "p.yaml:1: timezone: unknown time zone"},
		{"not a mapping", "- a\n", "p.yaml:1: must be a mapping"},
		{"syntax", "groups: [\n", "p.yaml:0: yaml:"},
		{"too big", strings.Repeat("#", MaxSize+1), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestWindowAcrossMidnight(t *testing.T) {
	w, err := ParseWindow("Fri 22:00-06:00")
	if err != nil {
		t.Fatal(err)
	}
	fri := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{fri.Add(23 * time.Hour), true},
		{fri.Add(29 * time.Hour), true},  // Saturday 05:00
		{fri.Add(5 * time.Hour), false},  // Friday 05:00 belongs to Thursday's window
		{fri.Add(31 * time.Hour), false}, // Saturday 07:00
		{fri.Add(21 * time.Hour), false},
	} {
		if got := w.Contains(tc.at); got != tc.want {
			t.Errorf("Contains(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}
