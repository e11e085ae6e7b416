package nixos

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-nix/berth/internal/fault"
)

// ClosureDiff is what changes between two system closures: the packages
// `nix store diff-closures` reports and the change in total closure size.
type ClosureDiff struct {
	Before   string          `json:"before"`
	After    string          `json:"after"`
	Packages []PackageChange `json:"packages,omitempty"`
	// SizeDelta is the closure size of After minus that of Before, in
	// bytes.
	SizeDelta int64 `json:"size_delta"`
}

// Change kinds of a package.
const (
	PackageAdded   = "added"
	PackageRemoved = "removed"
	// PackageChanged: some versions were replaced by others.
	PackageChanged = "changed"
	// PackageResized: same versions, different size (rebuilt).
	PackageResized = "resized"
)

// PackageChange is one line of `nix store diff-closures`.
type PackageChange struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Before and After are the versions that differ, as Nix prints them
	// ("1.2, 1.3"; "ε" for an empty version); empty when absent.
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// SizeDelta is Nix's rounded figure; Nix omits changes under 8 KiB.
	SizeDelta int64 `json:"size_delta,omitempty"`
}

// DiffClosures compares two systems that are both valid in the local
// store. Failures are Transient: a diff is information, never a verdict.
func (n *Nix) DiffClosures(ctx context.Context, before, after string) (ClosureDiff, error) {
	d := ClosureDiff{Before: before, After: after}
	for _, p := range []string{before, after} {
		if !IsStorePath(p) {
			return d, fault.Transientf("diff closures: %q is not a store path", p)
		}
	}
	out, err := n.output(ctx, "store", "diff-closures", before, after)
	if err != nil {
		return d, err
	}
	d.Packages = ParseDiffClosures(out)
	sizes, err := n.closureSizes(ctx, before, after)
	if err != nil {
		return d, err
	}
	d.SizeDelta = sizes[after] - sizes[before]
	return d, nil
}

// output runs a nix subcommand that must not fetch anything and returns
// its standard output.
func (n *Nix) output(ctx context.Context, args ...string) (string, error) {
	full := append([]string{"--extra-experimental-features", Features, "--option", "substituters", ""}, args...)
	var stdout bytes.Buffer
	tail, err := n.run(ctx, n.command(), full, &stdout, nil)
	if err != nil {
		return "", fault.Transientf("nix %s: %v\n%s", strings.Join(args, " "), err, tail)
	}
	return stdout.String(), nil
}

// closureSizes maps each path to its closure size from `nix path-info -S`,
// whose lines read "<path> <size>".
func (n *Nix) closureSizes(ctx context.Context, paths ...string) (map[string]int64, error) {
	out, err := n.output(ctx, append([]string{"path-info", "--closure-size"}, paths...)...)
	if err != nil {
		return nil, err
	}
	sizes := map[string]int64{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if size, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			sizes[f[0]] = size
		}
	}
	for _, p := range paths {
		if _, ok := sizes[p]; !ok {
			return nil, fault.Transientf("nix path-info --closure-size: no size for %s in %q", p, out)
		}
	}
	return sizes, nil
}

// Summary is one line for people: "2 added, 1 removed, 3 changed,
// closure +1.2 MiB".
func (d ClosureDiff) Summary() string {
	count := map[string]int{}
	for _, p := range d.Packages {
		count[p.Kind]++
	}
	var parts []string
	for _, k := range []string{PackageAdded, PackageRemoved, PackageChanged, PackageResized} {
		if count[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[k], k))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no package changes")
	}
	return strings.Join(parts, ", ") + ", closure " + FormatSizeDelta(d.SizeDelta)
}

// FormatSizeDelta writes a signed byte count in binary units: "+1.2 MiB",
// "-512 B", "±0 B".
func FormatSizeDelta(b int64) string {
	sign := "+"
	switch {
	case b == 0:
		return "±0 B"
	case b < 0:
		sign, b = "-", -b
	}
	if b < 1024 {
		return fmt.Sprintf("%s%d B", sign, b)
	}
	v, units := float64(b)/1024, []string{"KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v, i = v/1024, i+1
	}
	return fmt.Sprintf("%s%.1f %s", sign, v, units[i])
}

// String writes the change as diff-closures does: "dolphin: 20.08.1 →
// 20.08.2, +13.9 KiB".
func (p PackageChange) String() string {
	var parts []string
	if p.Kind != PackageResized {
		parts = append(parts, orAbsent(p.Before)+" → "+orAbsent(p.After))
	}
	if p.SizeDelta != 0 {
		parts = append(parts, FormatSizeDelta(p.SizeDelta))
	}
	return p.Name + ": " + strings.Join(parts, ", ")
}

func orAbsent(v string) string {
	if v == "" {
		return absent
	}
	return v
}
