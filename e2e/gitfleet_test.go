package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
)

func alphaV1() fixture.Host {
	return fixture.Host{Name: "alpha", Units: map[string]string{"hello.service": fixture.SleepService("hello v1")}}
}

// TestGitFleet walks one host through the life of a fleet, driving berth
// with `berth run` so each step is one reconcile: first deploy, a new
// commit, a bad unit, a failing and a hanging activation, another host's
// commit, a force-push and an unreachable remote. Every step asserts on
// the host's real state: running units, /run/current-system, the system
// profile and the boot entry.
func TestGitFleet(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "")
	var good system
	t.Run("first deploy", func(t *testing.T) {
		f.t = t
		before := f.system()
		f.run(0)
		s := f.system()
		if s.current == before.current || s.current != s.profile || s.boot != s.current {
			t.Fatalf("got %+v (before %+v), want current = profile = boot entry = the new system", s, before)
		}
		if !f.active("hello.service") || f.active("base.service") {
			t.Errorf("hello.service active %v, base.service active %v; want the new units only", f.active("hello.service"), f.active("base.service"))
		}
		if st := f.status(); st.State.Applied == nil || st.State.Applied.Toplevel != s.current {
			t.Errorf("status applied %+v, want toplevel %s", st.State.Applied, s.current)
		}
		good = s
	})
	t.Run("new commit applied and promoted", func(t *testing.T) {
		f.t = t
		gens := f.generations()
		v2 := alphaV1()
		v2.Units["second.service"] = fixture.SleepService("second")
		f.push(v2, "alpha: add second")
		f.run(0)
		s := f.system()
		if s.current == good.current || s.current != s.profile || s.boot != s.current {
			t.Fatalf("got %+v, want the new system running and booted", s)
		}
		if !f.active("second.service") {
			t.Errorf("second.service is not active")
		}
		if got := f.generations(); got != gens+1 {
			t.Errorf("got %d profile generations, want %d (the previous one kept)", got, gens+1)
		}
		good = s
	})
	t.Run("failing unit reverted, not retried, retried after a fix", func(t *testing.T) {
		f.t = t
		bad := alphaV1()
		bad.Units["broken.service"] = fixture.FailingService("broken")
		f.push(bad, "alpha: add broken service")
		out := f.run(4)
		if s := f.system(); s != good {
			t.Fatalf("after revert got %+v, want %+v", s, good)
		}
		if !f.active("second.service") || !f.active("hello.service") {
			t.Errorf("the previous units are not running again")
		}
		st := f.status()
		if st.State.Rejected == nil || !strings.Contains(st.State.Rejected.Reason, "broken.service") {
			t.Errorf("status rejected %+v, want broken.service named\n%s", st.State.Rejected, out)
		}
		if txt := f.statusText(); !strings.Contains(txt, "broken.service") {
			t.Errorf("berth status does not show the failure:\n%s", txt)
		}
		calls := f.nixCalls()
		f.run(3)
		if f.nixCalls() != calls {
			t.Errorf("the rejected revision was built again")
		}
		fixed := alphaV1()
		fixed.Units["third.service"] = fixture.SleepService("third")
		f.push(fixed, "alpha: replace broken with third")
		f.run(0)
		if !f.active("third.service") || f.active("broken.service") {
			t.Errorf("fix not applied: third active %v, broken active %v", f.active("third.service"), f.active("broken.service"))
		}
		good = f.system()
	})
	for _, mode := range []string{fixture.ActivationFail, fixture.ActivationHang} {
		t.Run("activation "+mode+" reverted", func(t *testing.T) {
			f.t = t
			h := alphaV1()
			h.Units["fourth.service"] = fixture.SleepService("fourth " + mode)
			h.Activation = mode
			f.push(h, "alpha: activation "+mode)
			start := time.Now()
			f.run(4)
			if s := f.system(); s != good {
				t.Fatalf("got %+v, want %+v", s, good)
			}
			if f.active("fourth.service") {
				t.Errorf("fourth.service runs after the revert")
			}
			if mode == fixture.ActivationHang && time.Since(start) > 2*time.Minute {
				t.Errorf("hanging activation took %s, want it killed at the 30s test timeout", time.Since(start))
			}
		})
	}
	t.Run("another host's commit costs no evaluation", func(t *testing.T) {
		f.t = t
		// Put alpha back to the last good configuration first.
		fixed := alphaV1()
		fixed.Units["third.service"] = fixture.SleepService("third")
		f.push(fixed, "alpha: back to good")
		f.run(3)
		calls := f.nixCalls()
		f.push(fixture.Host{Name: "beta", Units: map[string]string{"beta2.service": fixture.SleepService("beta2")}}, "beta: change")
		out := f.run(3)
		if got := f.nixCalls(); got != calls {
			t.Errorf("got %d nix invocations after beta's commit, want %d (none)", got, calls)
		}
		if !strings.Contains(out, "unchanged") {
			t.Errorf("berth run said %q, want unchanged", out)
		}
		if st := f.status(); st.State.Applied == nil || st.State.Applied.Commit != f.repo.Head() {
			t.Errorf("applied commit %+v, want the new head %s", st.State.Applied, f.repo.Head())
		}
	})
	t.Run("force-push refused", func(t *testing.T) {
		f.t = t
		before := f.system()
		f.repo.ResetHard("HEAD~3")
		h := alphaV1()
		h.Units["rewritten.service"] = fixture.SleepService("rewritten")
		fixture.PutHost(t, f.repo, h)
		f.repo.Commit("alpha: rewritten history")
		f.repo.ForcePush()
		out := f.run(1)
		if !strings.Contains(out, "does not descend") {
			t.Errorf("berth run said %q, want a history-rewrite refusal", out)
		}
		if s := f.system(); s != before || f.active("rewritten.service") {
			t.Errorf("system changed after a refused force-push: %+v", s)
		}
		if st := f.status(); st.State.Last == nil || st.State.Last.Result != "refused" {
			t.Errorf("status last %+v, want refused", st.State.Last)
		}
	})
	t.Run("remote down: nothing changes", func(t *testing.T) {
		f.t = t
		before := f.system()
		f.git.SetDown(true)
		defer f.git.SetDown(false)
		f.run(1)
		if s := f.system(); s != before {
			t.Errorf("system changed while the remote was down: %+v", s)
		}
		if st := f.status(); st.State.FetchFailures != 1 {
			t.Errorf("got %d fetch failures, want 1", st.State.FetchFailures)
		}
	})
}

// TestAgentService runs berth as the systemd service the NixOS module
// installs: it deploys at start, retries with backoff while the remote is
// down, and an agent SIGKILLed in the middle of an activation finishes the
// attempt after systemd restarts it.
func TestAgentService(t *testing.T) {
	t.Parallel()
	slow := alphaV1()
	f := newFleetHost(t, slow, "")
	f.git.SetDown(true)
	f.h.InstallBerth(t, berthBinary(t), []byte(f.config()))
	f.waitFor("two failed polls", 90*time.Second, func() bool { return f.status().State.FetchFailures >= 2 })
	if f.status().State.Applied != nil {
		t.Fatalf("applied something while the remote was down")
	}
	f.git.SetDown(false)
	f.waitFor("first deploy after the remote came back", 2*time.Minute, func() bool {
		st := f.status().State
		return st.Applied != nil && st.InProgress == nil
	})
	if !f.active("hello.service") {
		t.Errorf("hello.service not active after the first deploy")
	}

	// A oneshot that takes 10 s to start keeps switch-to-configuration
	// busy long enough to kill the agent in the middle of it.
	next := alphaV1()
	next.Units["slow.service"] = "[Unit]\nDescription=slow start\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sleep 10\n"
	commit := f.push(next, "alpha: slow service")
	f.h.Run(t, "systemctl", "restart", "berth.service") // the start-up reconcile picks the commit up
	f.waitFor("the test unit to run", time.Minute, func() bool {
		out, _ := f.h.Exec(t.Context(), "sh", "-c", "systemctl list-units --no-legend 'berth-test-*' | grep -c running || true")
		return strings.TrimSpace(string(out)) != "0"
	})
	f.h.Run(t, "systemctl", "kill", "-s", "KILL", "--kill-whom=main", "berth.service")
	f.waitFor("the interrupted attempt to be finished", 2*time.Minute, func() bool {
		st := f.status().State
		return st.InProgress == nil && st.Applied != nil && st.Applied.Commit == commit
	})
	s := f.system()
	if s.current != s.profile || s.boot != s.current || !f.active("slow.service") {
		t.Errorf("after the resumed attempt got %+v, slow.service active %v; want it applied and booted", s, f.active("slow.service"))
	}
	hist, _ := f.berth("history")
	if !strings.Contains(hist, "resume") {
		t.Errorf("history does not show the resumed attempt:\n%s", hist)
	}
}
