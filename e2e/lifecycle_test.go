package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/berth-nix/berth/e2e/fixture"
)

// generationNumbers lists the system profile's generation numbers.
func (f *fleetHost) generationNumbers() []int {
	f.t.Helper()
	out := f.h.Run(f.t, "sh", "-c", "cd /nix/var/nix/profiles && ls -d system-*-link")
	var nums []int
	for _, name := range strings.Fields(out) {
		var n int
		if _, err := fmt.Sscanf(name, "system-%d-link", &n); err == nil {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	return nums
}

// exists reports whether p exists in the host.
func (f *fleetHost) exists(p string) bool {
	_, err := f.h.Exec(f.t.Context(), "test", "-e", p)
	return err == nil
}

// TestRetention: with retention.generations 2, four deployments leave the
// two newest generations and the booted one, the boot entry on the
// running system, no candidate root, and, with gc_min_free above the free
// space, the dropped systems collected from the store.
func TestRetention(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "retention:\n  generations: 2\n  gc_min_free: 1000000000000000\n")
	var systems []string
	for i := range 4 {
		h := alphaV1()
		h.Units[fmt.Sprintf("v%d.service", i)] = fixture.SleepService(fmt.Sprintf("v%d", i))
		f.push(h, fmt.Sprintf("alpha: v%d", i))
		f.run(0)
		systems = append(systems, f.system().current)
	}
	s := f.system()
	if s.current != systems[3] || s.profile != s.current || s.boot != s.current {
		t.Fatalf("got %+v, want the last system running, in the profile and booted", s)
	}
	// Generation 1 is the installed base system the host booted.
	if got, want := f.generationNumbers(), []int{1, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("generations: got %v, want %v (booted + newest 2)", got, want)
	}
	if f.exists("/nix/var/nix/gcroots/berth/candidate") {
		t.Errorf("the candidate root is still there after the attempt ended")
	}
	if got := f.readlink("/nix/var/nix/gcroots/berth/last-good"); got != s.current {
		t.Errorf("last-good root: got %q, want %q", got, s.current)
	}
	if f.exists(systems[0]) || f.exists(systems[1]) {
		t.Errorf("dropped systems %s, %s still in the store after garbage collection", systems[0], systems[1])
	}
	if !f.exists(systems[2]) || !f.exists(f.base) {
		t.Errorf("kept systems missing from the store")
	}
}
