package nixos

import (
	"regexp"
	"strconv"
	"strings"
)

// ansiEscape matches the colour codes Nix may put around size changes.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// sizeSuffix is the size part of a line: ", +13.9 KiB", or the whole rest
// when only the size changed.
var sizeSuffix = regexp.MustCompile(`(?:^|, )([+-][0-9]+(?:\.[0-9]+)?) KiB$`)

// absent is how diff-closures shows "no version on this side".
const absent = "∅"

// ParseDiffClosures reads the text output of `nix store diff-closures`,
// lines such as
//
//	dolphin: 20.08.1 → 20.08.2, +13.9 KiB
//	kdeconnect: 20.08.2 → ∅, -6597.8 KiB
//	bluez-qt: +12.6 KiB
//
// Lines it does not understand are skipped; the format has no JSON form
// in Nix 2.8.
func ParseDiffClosures(out string) []PackageChange {
	var changes []PackageChange
	for _, line := range strings.Split(ansiEscape.ReplaceAllString(out, ""), "\n") {
		if c, ok := parseDiffLine(strings.TrimSpace(line)); ok {
			changes = append(changes, c)
		}
	}
	return changes
}

func parseDiffLine(line string) (PackageChange, bool) {
	name, rest, ok := strings.Cut(line, ": ")
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return PackageChange{}, false
	}
	c := PackageChange{Name: name, Kind: PackageResized}
	if m := sizeSuffix.FindStringSubmatchIndex(rest); m != nil {
		kib, _ := strconv.ParseFloat(rest[m[2]:m[3]], 64)
		c.SizeDelta = int64(kib * 1024)
		rest = rest[:m[0]]
	}
	if rest == "" {
		return c, c.SizeDelta != 0
	}
	before, after, ok := strings.Cut(rest, " → ")
	if !ok {
		return PackageChange{}, false
	}
	c.Before, c.After = versionSide(before), versionSide(after)
	c.Kind = changeKind(c.Before, c.After)
	return c, true
}

func versionSide(s string) string {
	if s = strings.TrimSpace(s); s == absent {
		return ""
	}
	return s
}

func changeKind(before, after string) string {
	switch {
	case before == "":
		return PackageAdded
	case after == "":
		return PackageRemoved
	}
	return PackageChanged
}
