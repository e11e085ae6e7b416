package nixos

import (
	"testing"
	"time"
)

// TestSettingsNix: the nix of the section runs its command with its
// build timeout; the defaults are valid.
func TestSettingsNix(t *testing.T) {
	s := DefaultSettings()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s.Command, s.BuildTimeout = "/run/current-system/sw/bin/nix", time.Minute
	if n := s.Nix(); n.Command != s.Command || n.BuildTimeout != time.Minute {
		t.Errorf("got %+v", n)
	}
}
