package nixos

import (
	"slices"
	"testing"
)

func TestQuietWrap(t *testing.T) {
	name, args := (*Quiet)(nil).wrap("nix", []string{"build"})
	if name != "nix" || !slices.Equal(args, []string{"build"}) {
		t.Errorf("nil Quiet: got %s %v", name, args)
	}
	q := &Quiet{CPUWeight: 20, IOWeight: 30, Nice: 10, MemoryMax: 1 << 30}
	name, args = q.wrap("/bin/nix", []string{"build", "x"})
	if name != "systemd-run" || args[0] != "--scope" || !slices.Contains(args, "--nice=10") ||
		!slices.Contains(args, "--property=CPUWeight=20") || !slices.Contains(args, "--property=IOWeight=30") ||
		!slices.Contains(args, "--property=MemoryMax=1073741824") || !slices.Equal(args[len(args)-4:], []string{"--", "/bin/nix", "build", "x"}) {
		t.Errorf("got %s %v", name, args)
	}
}
