package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/testhost"
)

// rebootWindow is a window around the host's local time: from hours
// before now to hours after, as HH:MM-HH:MM (it may cross midnight).
func rebootWindow(f *fleetHost, from, to int) string {
	out := strings.TrimSpace(f.h.Run(f.t, "date", "+%H"))
	hour, err := strconv.Atoi(out)
	if err != nil {
		f.t.Fatalf("date +%%H: %q", out)
	}
	at := func(d int) string { return fmt.Sprintf("%02d:00", ((hour+d)%24+24)%24) }
	return at(from) + "-" + at(to)
}

// rebootPlan reads the plan from berth status --json.
func (f *fleetHost) rebootPlan() (needed bool, plan *struct {
	At     time.Time
	Warned bool
	Why    string
}) {
	f.t.Helper()
	out, _ := f.berth("status", "--json")
	var s struct {
		Reboot *struct {
			Needed bool
			Plan   *struct {
				At     time.Time
				Warned bool
				Why    string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		f.t.Fatalf("berth status --json: %v\n%s", err, out)
	}
	if s.Reboot == nil {
		return false, nil
	}
	return s.Reboot.Needed, s.Reboot.Plan
}

// agentWithKernel installs v1 by hand, pushes a new kernel, then starts
// the agent as a service with the given reboot settings; its first
// reconcile applies the kernel.
func agentWithKernel(t *testing.T, rebootYAML func(f *fleetHost) string) *fleetHost {
	f := newFleetHost(t, alphaV1(), "")
	f.run(0)
	h := alphaV1()
	h.Kernel = "6.7.0-fixture"
	f.push(h, "alpha: new kernel")
	f.extra = rebootYAML(f)
	f.h.InstallBerth(t, berthBinary(t), []byte(f.config()))
	return f
}

// TestRebootInsideTheWindow: after a kernel-changing commit, an agent
// whose reboot window contains now warns, waits its delay and reboots the
// host through logind; the container's systemd ends with a reboot.
func TestRebootInsideTheWindow(t *testing.T) {
	t.Parallel()
	f := agentWithKernel(t, func(f *fleetHost) string {
		return fmt.Sprintf("reboot:\n  policy: window\n  window: %q\n  delay: 10s\n", rebootWindow(f, -2, 3))
	})
	var warned bool
	deadline := time.After(3 * time.Minute)
	for !warned {
		select {
		case <-f.h.Exited():
			t.Fatalf("host went down before status showed the scheduled reboot (exit %d)", f.h.ExitStatus())
		case <-deadline:
			t.Fatalf("no reboot scheduled\nstatus:\n%s\njournal:\n%s", f.statusText(), f.h.Journal(t, "berth.service"))
		case <-time.After(300 * time.Millisecond):
		}
		needed, plan := f.rebootPlan()
		warned = needed && plan != nil && plan.Warned
	}
	if out := f.statusText(); !strings.Contains(out, "reboot         scheduled at") {
		t.Errorf("berth status does not show the scheduled reboot:\n%s", out)
	}
	select {
	case <-f.h.Exited():
	case <-time.After(2 * time.Minute):
		t.Fatalf("host did not reboot\nstatus:\n%s\njournal:\n%s", f.statusText(), f.h.Journal(t, "berth.service"))
	}
	if got := f.h.ExitStatus(); got != testhost.RebootExitStatus {
		t.Errorf("systemd-nspawn exit status: got %d, want %d (the container rebooted)", got, testhost.RebootExitStatus)
	}
	// The host's journal outlives it in its root file system.
	out, err := exec.Command("journalctl", "-D", f.h.Path("/var/log/journal"), "-u", "berth.service", "--no-pager").CombinedOutput()
	if err != nil {
		t.Fatalf("cannot read the host's journal: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "rebooting") || strings.Contains(string(out), "trying systemctl") {
		t.Errorf("want the reboot asked of logind, got the agent's journal:\n%s", out)
	}
}

// TestNoRebootOutsideTheWindow: the same commit with a window later in
// the day is applied, and the reboot waits for the window.
func TestNoRebootOutsideTheWindow(t *testing.T) {
	t.Parallel()
	f := agentWithKernel(t, func(f *fleetHost) string {
		return fmt.Sprintf("reboot:\n  policy: window\n  window: %q\n  delay: 1s\n", rebootWindow(f, 3, 5))
	})
	f.waitFor("the kernel applied and a reboot planned", 2*time.Minute, func() bool {
		needed, plan := f.rebootPlan()
		return needed && plan != nil
	})
	_, plan := f.rebootPlan()
	if plan.Warned || !strings.Contains(plan.Why, "waiting for the reboot window") || time.Until(plan.At) < 2*time.Hour {
		t.Errorf("plan: got %+v, want to wait for the window hours from now", plan)
	}
	select {
	case <-f.h.Exited():
		t.Fatalf("host rebooted outside its window (exit %d)", f.h.ExitStatus())
	case <-time.After(15 * time.Second):
	}
	if out := f.statusText(); !strings.Contains(out, "waiting for the reboot window") {
		t.Errorf("berth status does not say the reboot waits for the window:\n%s", out)
	}
}
