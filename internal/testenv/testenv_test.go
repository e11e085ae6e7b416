package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that notes how a test was ended; like the
// real one, ending it ends the goroutine.
type recorder struct {
	testing.TB
	failed, skipped bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.failed = true; runtime.Goexit() }
func (r *recorder) Skip(...any)           { r.skipped = true; runtime.Goexit() }

// end runs f with r as its test, as go test would, and waits for it.
func (r *recorder) end(f func(testing.TB)) {
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
}

func TestMissingFailsUnderTheFullSuite(t *testing.T) {
	for _, tt := range []struct {
		e2e        string
		fail, skip bool
	}{{"1", true, false}, {"", false, true}, {"0", false, true}} {
		t.Setenv("BERTH_E2E", tt.e2e)
		r := &recorder{}
		r.end(func(t testing.TB) { Missing(t, "a tool") })
		if r.failed != tt.fail || r.skipped != tt.skip {
			t.Errorf("BERTH_E2E=%q: got failed %v, skipped %v; want %v, %v", tt.e2e, r.failed, r.skipped, tt.fail, tt.skip)
		}
	}
}

// TestNixpkgsLib: without BERTH_NIXPKGS_LIB the snapshot beside the
// checkout is used; a BERTH_NIXPKGS_LIB that is not a lib directory is
// an error naming it.
func TestNixpkgsLib(t *testing.T) {
	t.Setenv("BERTH_NIXPKGS_LIB", "")
	got := NixpkgsLib(t)
	want, err := filepath.Abs("../../../shared/nixpkgs-lib/lib")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("unset: got %s, want %s", got, want)
	}

	lib := t.TempDir()
	t.Setenv("BERTH_NIXPKGS_LIB", lib)
	if _, err := nixpkgsLib(); err == nil || !strings.Contains(err.Error(), "BERTH_NIXPKGS_LIB: not a nixpkgs lib directory") {
		t.Errorf("empty directory: got %v, want an error naming BERTH_NIXPKGS_LIB", err)
	}
	if err := os.WriteFile(filepath.Join(lib, "default.nix"), []byte("{ }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := nixpkgsLib(); got != lib || err != nil {
		t.Errorf("set: got %s, %v, want %s", got, err, lib)
	}
}
