package nixos

import (
	"context"
	"reflect"
	"testing"
)

func TestParseDiffClosures(t *testing.T) {
	out := "acpi-call: 2020-04-07-5.8.16 → 2020-04-07-5.8.18\n" +
		"bluez-qt: \x1b[31;1m+12.6 KiB\x1b[0m\n" +
		"dolphin: 20.08.1 → 20.08.2, +13.9 KiB\n" +
		"kdeconnect: 20.08.2 → ∅, -6597.8 KiB\n" +
		"kdeconnect-kde: ∅ → 20.08.2, +6599.7 KiB\n" +
		"libfoo: 1.2, 1.3 → 1.4\n" +
		"hello: ε → ∅\n" +
		"warning: something else\n" +
		"not a line\n"
	want := []PackageChange{
		{Name: "acpi-call", Kind: PackageChanged, Before: "2020-04-07-5.8.16", After: "2020-04-07-5.8.18"},
		{Name: "bluez-qt", Kind: PackageResized, SizeDelta: 12902},
		{Name: "dolphin", Kind: PackageChanged, Before: "20.08.1", After: "20.08.2", SizeDelta: 14233},
		{Name: "kdeconnect", Kind: PackageRemoved, Before: "20.08.2", SizeDelta: -6756147},
		{Name: "kdeconnect-kde", Kind: PackageAdded, After: "20.08.2", SizeDelta: 6758092},
		{Name: "libfoo", Kind: PackageChanged, Before: "1.2, 1.3", After: "1.4"},
		{Name: "hello", Kind: PackageRemoved, Before: "ε"},
	}
	got := ParseDiffClosures(out)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestClosureDiffSummary(t *testing.T) {
	tests := []struct {
		d    ClosureDiff
		want string
	}{
		{ClosureDiff{}, "no package changes, closure ±0 B"},
		{ClosureDiff{Packages: []PackageChange{{Kind: PackageAdded}, {Kind: PackageAdded}, {Kind: PackageChanged}}, SizeDelta: 3 << 20},
			"2 added, 1 changed, closure +3.0 MiB"},
		{ClosureDiff{Packages: []PackageChange{{Kind: PackageRemoved}, {Kind: PackageResized}}, SizeDelta: -100},
			"1 removed, 1 resized, closure -100 B"},
	}
	for _, tt := range tests {
		if got := tt.d.Summary(); got != tt.want {
			t.Errorf("Summary(%+v): got %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestDiffClosures(t *testing.T) {
	n := requireNix(t)
	before := buildFresh(t, n, "plain")
	after := buildFresh(t, n, "system")
	d, err := n.DiffClosures(context.Background(), before, after)
	if err != nil {
		t.Fatal(err)
	}
	want := []PackageChange{
		{Name: "berth-plain", Kind: PackageRemoved, Before: "1"},
		{Name: "nixos-system-realise", Kind: PackageAdded, After: "1"},
	}
	if !reflect.DeepEqual(d.Packages, want) {
		t.Errorf("packages: got %+v, want %+v", d.Packages, want)
	}
	if d.Before != before || d.After != after {
		t.Errorf("paths: got %s → %s, want %s → %s", d.Before, d.After, before, after)
	}
	if _, err := n.DiffClosures(context.Background(), before, "/nix/store/00000000000000000000000000000000-gone"); err == nil {
		t.Errorf("diff against a missing path: got no error")
	}
}
