// Package testhost boots disposable systemd hosts for berth's end-to-end
// tests: a Debian root file system (built by e2e/image/build.sh) that looks
// to berth like a NixOS host, run under systemd-nspawn with real systemd,
// D-Bus and Nix inside.
//
// Every test that uses it starts with Require(t). Tests are skipped unless
// BERTH_E2E is set; once it is set, a missing prerequisite fails the test,
// so CI never reports a green run that tested nothing.
package testhost

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// tools are the host programs Boot needs besides the image builder's.
var tools = []string{"systemd-nspawn", "nsenter", "mount", "umount", "flock", "cp"}

// Enabled reports whether end-to-end tests were asked for: BERTH_E2E is
// set to anything but "" or "0".
func Enabled() bool {
	v := os.Getenv("BERTH_E2E")
	return v != "" && v != "0"
}

// Require skips t unless BERTH_E2E is set, and fails it when BERTH_E2E is
// set but the machine cannot run test hosts (not root, a tool missing).
func Require(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skip("end-to-end test: set BERTH_E2E=1 (as root, with systemd-nspawn and debootstrap) to run it")
	}
	if err := prerequisites(); err != nil {
		t.Fatalf("BERTH_E2E is set but this machine cannot run test hosts: %v", err)
	}
}

func prerequisites() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("must run as root (euid %d)", os.Geteuid())
	}
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing programs %s (apt-get install systemd-container util-linux)", strings.Join(missing, ", "))
	}
	return nil
}
