package nixos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPrunable(t *testing.T) {
	gens := []Generation{{1, "", "/nix/store/a"}, {2, "", "/nix/store/b"}, {3, "", "/nix/store/c"}, {4, "", "/nix/store/d"}, {5, "", "/nix/store/e"}}
	for _, tc := range []struct {
		name    string
		keep    int
		current int
		protect []string
		want    []int
	}{
		{"keep all", 0, 5, nil, nil},
		{"fewer than keep", 9, 5, nil, nil},
		{"newest two", 2, 5, nil, []int{1, 2, 3}},
		{"current is old", 2, 2, nil, []int{1, 3}},
		{"booted and last good", 2, 5, []string{"/nix/store/a", "/nix/store/c"}, []int{2}},
	} {
		if got := Prunable(gens, tc.keep, tc.current, tc.protect); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRetentionPrune builds four systems into a profile with real
// nix-env and checks which generations and roots Prune leaves.
func TestRetentionPrune(t *testing.T) {
	nix := requireNix(t)
	ctx := context.Background()
	dir := t.TempDir()
	nonce := fmt.Sprintf("%s-%d", t.Name(), os.Getpid())
	outputs := ""
	for _, n := range []string{"g1", "g2", "g3", "g4"} {
		outputs += fmt.Sprintf("    %s = drv \"berth-%s\" \"mkdir $out\";\n", n, n)
	}
	if err := os.WriteFile(filepath.Join(dir, "flake.nix"), []byte(flakeOf(nonce, outputs)), 0o644); err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(t.TempDir(), "system")
	var systems []string
	for _, n := range []string{"g1", "g2", "g3", "g4"} {
		out, err := nix.BuildFlake(ctx, dir, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := nix.SetProfile(ctx, profile, out, nil); err != nil {
			t.Fatal(err)
		}
		systems = append(systems, out)
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "run"), 0o755)
	if err := os.Symlink(systems[0], filepath.Join(root, "run/current-system")); err != nil {
		t.Fatal(err)
	}
	roots := t.TempDir()
	if err := AddGCRoot(roots, RootCandidate, systems[3]); err != nil {
		t.Fatal(err)
	}
	var refreshed string
	r := &Retention{Nix: nix, Profile: profile, GCRoots: roots, Root: root, Keep: 2,
		RefreshBoot: func(_ context.Context, top string) error { refreshed = top; return nil }}
	p, err := r.Prune(ctx, true, nil)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	gens, _ := Generations(profile)
	var left []int
	for _, g := range gens {
		left = append(left, g.Number)
	}
	if !slices.Equal(p.Generations, []int{2}) || !slices.Equal(left, []int{1, 3, 4}) {
		t.Errorf("deleted %v, left %v; want deleted [2] (1 runs), left [1 3 4]", p.Generations, left)
	}
	if refreshed != systems[3] {
		t.Errorf("boot entries refreshed from %q, want the profile's %q", refreshed, systems[3])
	}
	if _, err := os.Lstat(filepath.Join(roots, RootCandidate)); err != nil || p.Candidate {
		t.Errorf("busy: candidate root removed (%v, %v)", err, p.Candidate)
	}
	if p, err = r.Prune(ctx, false, nil); err != nil || !p.Candidate || len(p.Generations) != 0 {
		t.Errorf("second Prune: got %+v, %v; want only the candidate root removed", p, err)
	}
	if _, err := os.Lstat(filepath.Join(roots, RootCandidate)); err == nil {
		t.Errorf("idle: candidate root still there")
	}
}
