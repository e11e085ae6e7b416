package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
)

// gitHostName names the fleet's git server in the health tests, so that a
// configuration can cut the host off from it through /etc/hosts.
const gitHostName = "berth-git.test"

// unusedPort returns a loopback port nothing listens on. The test hosts
// share this machine's network, so it is free inside them too.
func unusedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// lateWebService serves "web ready" over HTTP on port, but only 8 s after
// it starts, as a service that takes a while to come up. Perl is the one
// server-capable tool in the test image; "$" is doubled for systemd.
func lateWebService(port int) string { return webServiceAfter(port, 8) }

// webServiceAfter is lateWebService coming up after secs seconds.
func webServiceAfter(port, secs int) string {
	script := fmt.Sprintf(`use IO::Socket::INET; sleep %d; my $e = chr(13).chr(10); `+
		`my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => %d, Listen => 5, ReuseAddr => 1) or die "listen: $!"; `+
		`while (my $c = $s->accept) { while (my $l = <$c>) { last if length($l) <= 2 } `+
		`print $c "HTTP/1.0 200 OK" . $e . "Content-Type: text/plain" . $e . $e . "web ready" . $e; close $c }`, secs, port)
	return "[Unit]\nDescription=web server that comes up late\n\n[Service]\nType=simple\nExecStart=/usr/bin/perl -e '" +
		strings.ReplaceAll(script, "$", "$$") + "'\n"
}

// blockSourceService hides the git server's name from /etc/hosts while it
// runs, as a configuration that breaks name resolution would. Stopping it
// (which reverting to a system without it does) restores the name.
const blockSourceService = `[Unit]
Description=cuts the host off from its config server

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'grep -v ` + gitHostName + ` /etc/hosts > /run/blocked-hosts; mount --bind /run/blocked-hosts /etc/hosts'
ExecStop=/bin/umount /etc/hosts
`

func httpCheck(name string, port int, deadline string) string {
	return fmt.Sprintf("  - name: %s\n    kind: http\n    url: http://127.0.0.1:%d/\n    body: web ready\n    interval: 1s\n    deadline: %s\n", name, port, deadline)
}

// TestHealthChecks drives a host through revisions that only health
// checks can judge: a service that needs time to come up (its check,
// committed with it, passes once it does), a check that never passes and
// a configuration that cuts the host off from its git server. The agent's
// own unit check runs throughout; the host's come from berth-checks.yaml
// in the revision.
func TestHealthChecks(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), `health:
  checks:
    - name: hello
      kind: unit
      unit: hello.service
  reachability:
    timeout: 5s
    interval: 1s
    deadline: 15s
`)
	f.reachByName(t)
	f.run(0)
	webPort, deadPort := unusedPort(t), unusedPort(t)
	withWeb := alphaV1()
	withWeb.Units["web.service"] = lateWebService(webPort)
	var good system
	t.Run("late service passes its check", func(t *testing.T) {
		f.t = t
		f.repo.WriteFile("hosts/alpha/berth-checks.yaml", "checks:\n"+httpCheck("web", webPort, "60s"))
		start := time.Now()
		commit := f.push(withWeb, "alpha: web server with its check")
		f.run(0)
		if d := time.Since(start); d < 8*time.Second {
			t.Errorf("applied in %v, before the web server could answer", d)
		}
		s := f.system()
		if st := f.status(); st.State.Applied == nil || st.State.Applied.Commit != commit || s.boot != s.current {
			t.Fatalf("status %+v, system %+v; want the web commit applied and booted", st.State.Applied, s)
		}
		good = s
	})
	t.Run("check that never passes reverts", func(t *testing.T) {
		f.t = t
		next := withWeb
		next.Units = map[string]string{"hello.service": withWeb.Units["hello.service"], "web.service": withWeb.Units["web.service"],
			"extra.service": fixture.SleepService("extra")}
		f.repo.WriteFile("hosts/alpha/berth-checks.yaml", "checks:\n"+httpCheck("web", webPort, "60s")+httpCheck("api", deadPort, "8s"))
		f.push(next, "alpha: api that never answers")
		f.run(4)
		assertReverted(t, f, good, "api", "connection refused")
		if f.active("extra.service") {
			t.Errorf("extra.service runs after the revert")
		}
	})
	t.Run("reachability reverts a commit that cuts off the source", func(t *testing.T) {
		f.t = t
		next := withWeb
		next.Units = map[string]string{"hello.service": withWeb.Units["hello.service"], "web.service": withWeb.Units["web.service"],
			"block-source.service": blockSourceService}
		f.repo.WriteFile("hosts/alpha/berth-checks.yaml", "checks:\n"+httpCheck("web", webPort, "60s"))
		f.push(next, "alpha: hide the git server")
		f.run(4)
		assertReverted(t, f, good, "source-reachable", "source unreachable")
		if out, err := f.h.Exec(t.Context(), "getent", "hosts", gitHostName); err != nil {
			t.Errorf("%s does not resolve after the revert: %v %s", gitHostName, err, out)
		}
		f.push(withWeb, "alpha: back to the web commit")
		f.run(3) // the source answers again; the configuration is the applied one
	})
}

// assertReverted checks that the host runs and boots good again and that
// the rejection names the failed check and its output.
func assertReverted(t *testing.T, f *fleetHost, good system, check, output string) {
	t.Helper()
	if s := f.system(); s != good {
		t.Fatalf("after the revert got %+v, want %+v", s, good)
	}
	st := f.status()
	if r := st.State.Rejected; r == nil || !strings.Contains(r.Reason, check+" (") || !strings.Contains(r.Reason, output) {
		t.Errorf("status rejected %+v, want check %s named with %q", st.State.Rejected, check, output)
	}
	if txt := f.statusText(); !strings.Contains(txt, check) {
		t.Errorf("berth status does not show the failed check %s:\n%s", check, txt)
	}
}

// TestDeadManSwitch: a configuration whose activation kills the agent
// (SIGKILL, and the service stopped so that systemd does not restart it)
// leaves the host on an unverified system only until the dead-man timer
// fires; then systemd re-activates the previous system by itself. The
// boot entry never changes. When the agent comes back, it finds the
// attempt reverted by the switch and rejects the revision.
func TestDeadManSwitch(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), `health:
  max_deadline: 20s
  reachability:
    timeout: 4s
    deadline: 12s
  deadman:
    window: 60s
`)
	f.startAgent(f.config())
	good := f.system()
	killer := alphaV1()
	killer.Units["kill-agent.service"] = "[Unit]\nDescription=kills the berth agent\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\n" +
		"ExecStart=/bin/sh -c 'systemctl kill -s KILL berth.service; sleep 1; systemctl stop --no-block berth.service'\n"
	f.push(killer, "alpha: a configuration that kills the agent")
	f.h.Run(t, "systemctl", "restart", "berth.service")
	f.waitFor("the new system to run and the agent to be dead", 2*time.Minute, func() bool {
		return f.active("kill-agent.service") && !f.active("berth.service")
	})
	killed := time.Now()
	f.waitFor("the dead-man switch to re-activate the previous system", 3*time.Minute, func() bool {
		return f.readlink("/run/current-system") == good.current
	})
	if d := time.Since(killed); d > 75*time.Second {
		t.Errorf("reverted %v after the agent died, want within the 60s window", d)
	}
	if s := f.system(); s != good || f.active("kill-agent.service") || f.active("berth.service") {
		t.Fatalf("got %+v, kill-agent active %v, berth active %v; want %+v with the agent still dead",
			s, f.active("kill-agent.service"), f.active("berth.service"), good)
	}
	f.h.Run(t, "systemctl", "start", "berth.service")
	f.waitFor("the agent to settle the attempt", 2*time.Minute, func() bool {
		st := f.status().State
		return st.InProgress == nil && st.Rejected != nil
	})
	if r := f.status().State.Rejected; !strings.Contains(r.Reason, "dead-man") {
		t.Errorf("rejected %+v, want the dead-man switch named", r)
	}
	if s := f.system(); s != good {
		t.Errorf("after the agent came back got %+v, want %+v", s, good)
	}
}
