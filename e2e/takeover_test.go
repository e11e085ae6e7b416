package e2e

import (
	"strings"
	"testing"
	"time"
)

// takeoverUnit stands in for the NixOS module's berth-takeover.service: a
// oneshot that the switch (re)starts when its text changes, and that
// restarts the agent without waiting, as happens when a new berth version
// or configuration is part of the switch.
func takeoverUnit(version string) string {
	return "[Unit]\nDescription=hand berth over to version " + version + "\n" +
		"[Service]\nType=oneshot\nRemainAfterExit=yes\n" +
		"ExecStart=/bin/systemctl restart --no-block berth.service\n"
}

// TestAgentTakeover: the agent is stopped (SIGTERM) by the very switch it
// started, as when it upgrades itself; the new agent finishes the attempt
// and promotes it.
func TestAgentTakeover(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "")
	f.startAgent(f.config())
	for _, version := range []string{"1", "2"} {
		h := alphaV1()
		h.Units["berth-takeover.service"] = takeoverUnit(version)
		commit := f.push(h, "alpha: berth takeover "+version)
		f.h.Run(t, "systemctl", "restart", "berth.service") // poll now
		f.waitFor("takeover "+version+" to be promoted", 2*time.Minute, func() bool {
			st := f.status().State
			return st.InProgress == nil && st.Applied != nil && st.Applied.Commit == commit
		})
		s := f.system()
		if s.current != s.profile || s.boot != s.current {
			t.Fatalf("takeover %s: got %+v, want the new system running and booted", version, s)
		}
	}
	hist, _ := f.berth("history")
	if strings.Count(hist, "resume") < 2 {
		t.Errorf("history does not show both attempts finished by the restarted agent:\n%s", hist)
	}
	if j := f.h.Journal(t, "berth.service"); !strings.Contains(j, "resuming attempt") && !strings.Contains(hist, "applied") {
		t.Errorf("journal does not show the new agent resuming:\n%s", j)
	}
}

// TestAgentStoppedDuringVerify: the agent is restarted while a verify
// check waits for a service that comes up late. The test unit has already
// finished; the new agent judges the journaled outcome again, reruns the
// checks and promotes instead of reverting a good switch.
func TestAgentStoppedDuringVerify(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "")
	f.startAgent(f.config())
	port := unusedPort(t)
	h := alphaV1()
	h.Units["web.service"] = webServiceAfter(port, 25)
	f.repo.WriteFile("hosts/alpha/berth-checks.yaml", "checks:\n"+httpCheck("web", port, "60s"))
	commit := f.push(h, "alpha: web server that comes up late")
	f.h.Run(t, "systemctl", "restart", "berth.service") // poll now
	// The attempt log says when the verify checks start ("verify checks:
	// source-reachable, web"): the switch is
	// over and its unit released, and the web check waits for the service.
	f.waitFor("the verify phase", time.Minute, func() bool {
		out, _ := f.h.Exec(t.Context(), "sh", "-c", "grep -l 'verify checks:.*web' /var/lib/berth/history/*.log || true")
		return strings.TrimSpace(string(out)) != ""
	})
	f.h.Run(t, "systemctl", "restart", "berth.service")
	f.waitFor("the attempt to be promoted", 2*time.Minute, func() bool {
		st := f.status().State
		return st.InProgress == nil && st.Applied != nil && st.Applied.Commit == commit
	})
	if s := f.system(); s.current != s.profile || s.boot != s.current || !f.active("web.service") {
		t.Errorf("got %+v, web.service active %v; want the web system applied and booted", s, f.active("web.service"))
	}
	hist, _ := f.berth("history")
	if !strings.Contains(hist, "resume") || strings.Contains(hist, "reverted") {
		t.Errorf("want the attempt resumed and applied, not reverted:\n%s", hist)
	}
}
