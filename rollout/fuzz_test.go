package rollout

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, every
// error must name the file, and an accepted policy must hold the
// invariants Decide relies on.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{example, "", "&a [*a]", "waves: [{name: w, groups: [g]}]\n",
		"groups: {g: {hosts: ['*']}}\nwaves: [{name: a, groups: [g]}, {name: b, groups: [g], after: [a, a]}]\n",
		"groups: {g: {tags: [t]}}\nwaves: [{name: a, groups: [g], windows: ['Sun-Sat 23:00-01:00']}]\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml:") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, w := range p.Waves {
			for _, a := range w.After {
				if !seen[a] {
					t.Fatalf("wave %s follows %s, which is not before it", w.Name, a)
				}
			}
			for _, g := range w.Groups {
				if p.Groups[g] == nil {
					t.Fatalf("wave %s names undefined group %s", w.Name, g)
				}
			}
			if seen[w.Name] || w.Soak < 0 || w.FailureBudget < 0 {
				t.Fatalf("accepted wave %+v", w)
			}
			seen[w.Name] = true
		}
	})
}
