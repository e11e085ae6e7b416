package nixos

import "strings"

// StoreDir is the Nix store this package expects outputs in.
const StoreDir = "/nix/store"

// nixBase32 is the alphabet of store path hashes (no e, o, u, t).
const nixBase32 = "0123456789abcdfghijklmnpqrsvwxyz"

// IsStorePath reports whether p names a top-level store object:
// /nix/store/<32-character hash>-<name>, with no trailing components.
func IsStorePath(p string) bool {
	rest, ok := strings.CutPrefix(p, StoreDir+"/")
	if !ok || len(rest) < 34 || rest[32] != '-' {
		return false
	}
	for _, c := range rest[:32] {
		if !strings.ContainsRune(nixBase32, c) {
			return false
		}
	}
	return validStoreName(rest[33:])
}

// validStoreName accepts the characters Nix allows in a store path name.
func validStoreName(name string) bool {
	if name == "" || name[0] == '.' {
		return false
	}
	for _, c := range name {
		if !isAlnum(c) && !strings.ContainsRune("+-._?=", c) {
			return false
		}
	}
	return true
}

func isAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
