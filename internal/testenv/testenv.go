// Package testenv decides what a test does when the machine lacks
// something it needs (root, a tool, nixpkgs' lib): skip on a developer's
// machine, fail where the full suite was asked for. Every test that cannot
// run here goes through it, so that a green full run never hides a test
// that did not run.
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

// Root ends t through Missing unless it runs as root; why says what needs
// root.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root: "+why)
	}
}

// InHost skips t unless it runs inside an e2e test host, where the e2e
// harness sets BERTH_IN_TESTHOST=1. Not a missing prerequisite: the full
// suite runs these tests there (e2e/inhost_test.go), so it skips even
// under BERTH_E2E.
func InHost(t testing.TB) {
	t.Helper()
	if os.Getenv("BERTH_IN_TESTHOST") != "1" {
		t.Skip("needs real systemd: runs inside a test host via e2e/inhost_test.go (BERTH_E2E=1 go test ./e2e -run TestInHost)")
	}
}

// NixpkgsLib returns the directory of nixpkgs' lib for tests that evaluate
// NixOS modules through lib.evalModules: $BERTH_NIXPKGS_LIB when set, else
// the snapshot beside the checkout, ../shared/nixpkgs-lib/lib (see its
// SOURCE.md). With neither, t ends through Missing.
func NixpkgsLib(t testing.TB) string {
	t.Helper()
	dir, err := nixpkgsLib()
	if err != nil {
		Missing(t, err.Error())
	}
	return dir
}
