// Package testenv decides what a test does when the machine lacks
// something it needs (root, a tool): skip on a developer's machine, fail
// where the full suite was asked for.
package testenv

import (
	"os"
	"testing"
)

// Full reports whether the full suite was asked for (BERTH_E2E set, as the
// README's test command and CI do).
func Full() bool {
	v := os.Getenv("BERTH_E2E")
	return v != "" && v != "0"
}

// Missing ends t for want of a prerequisite: a failure under the full
// suite, so that a green run never hides a test that did not run, and a
// skip otherwise.
func Missing(t testing.TB, why string) {
	t.Helper()
	if Full() {
		t.Fatalf("the full suite needs this: %s", why)
	}
	t.Skip(why)
}
