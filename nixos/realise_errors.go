package nixos

import (
	"fmt"
	"strings"

	"github.com/berth-nix/berth/internal/fault"
)

// signatureMarkers are the texts Nix prints when it refuses a path because
// none of the host's trusted-public-keys signed it: Nix 2.8 says "lacks a
// valid signature", later versions "lacks a signature by a trusted key";
// the substituter paths warn about untrusted keys.
var signatureMarkers = []string{
	"lacks a valid signature",
	"lacks a signature by a trusted key",
	"is not signed by any of the keys",
	"signed by an untrusted public key",
}

// unreachableMarkers say the cache could not be asked at all.
var unreachableMarkers = []string{
	"unable to download",
	"Couldn't connect",
	"Could not resolve host",
	"Couldn't resolve host",
	"Connection refused",
	"timed out",
	"does not appear to be a binary cache",
}

func classifyCopy(stderr string) failureKind {
	switch {
	case containsAny(stderr, signatureMarkers):
		return failSignature
	case containsAny(stderr, unreachableMarkers):
		return failUnreachable
	}
	return failOther
}

func containsAny(s string, subs []string) bool {
	for _, m := range subs {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// realiseError classifies the failures of every cache tried. A bad
// signature is Stalling only when every cache answered: a cache that
// could not be asked might hold a properly signed copy.
func realiseError(path string, fails []copyFailure) error {
	var lines []string
	signature, unreachable := false, false
	for _, f := range fails {
		lines = append(lines, fmt.Sprintf("%s: %s", f.cache, f.tail))
		signature = signature || f.kind == failSignature
		unreachable = unreachable || f.kind == failUnreachable
	}
	detail := strings.Join(lines, "\n")
	switch {
	case signature && !unreachable:
		return fault.Stallingf("refusing %s: it is not signed by any key in this host's trusted-public-keys (nix.conf)\n%s", path, detail)
	case unreachable:
		return fault.Transientf("realise %s: a binary cache could not be reached\n%s", path, detail)
	}
	return fault.Transientf("realise %s: no binary cache delivered it (not pushed yet?)\n%s", path, detail)
}
