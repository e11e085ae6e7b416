package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
)

// TestDemo is what e2e/try-it shows a newcomer: the agent, running as a
// service in a NixOS-like host, deploys a commit and reverts a bad one.
// With BERTH_DEMO=1 it narrates on stdout; otherwise it is an ordinary
// e2e test that keeps the demo working.
func TestDemo(t *testing.T) {
	t.Parallel()
	say := func(format string, args ...any) {
		if os.Getenv("BERTH_DEMO") != "" {
			fmt.Printf(format+"\n", args...)
		} else {
			t.Logf(format, args...)
		}
	}
	say("Fleet repository: hosts/alpha (one service, hello) and hosts/beta, served by git over HTTP with a token.")
	f := newFleetHost(t, alphaV1(), "")
	say("Test host booted: real systemd in systemd-nspawn, running the base system %s", f.system().current)
	cfg := strings.Replace(f.config(), `cron: "@every 1h"`, `cron: "@every 5s"`, 1)
	say("\nInstalling berth as berth.service with /etc/berth/config.yaml:\n%s", indent(cfg))
	f.startAgent(cfg)
	say("The agent deployed the fleet's commit at start. `berth status`:\n%s", indent(f.statusText()))
	say("hello.service is %s; boot entry: %s", activeWord(f, "hello.service"), f.system().boot)

	good := alphaV1()
	good.Units["greeter.service"] = fixture.SleepService("greeter")
	commit := f.push(good, "alpha: add greeter")
	say("\nPushed commit %.12s adding greeter.service; the agent polls every 5s...", commit)
	f.waitFor("the new commit", 2*time.Minute, func() bool { a := f.status().State.Applied; return a != nil && a.Commit == commit })
	goodSys := f.system()
	say("Applied and promoted. greeter.service is %s. `berth status`:\n%s", activeWord(f, "greeter.service"), indent(f.statusText()))

	bad := good
	bad.Units = map[string]string{"hello.service": good.Units["hello.service"], "greeter.service": good.Units["greeter.service"],
		"broken.service": fixture.FailingService("a service that fails")}
	badCommit := f.push(bad, "alpha: add a broken service")
	say("\nPushed commit %.12s adding broken.service, which fails when started...", badCommit)
	f.waitFor("the revert", 2*time.Minute, func() bool { r := f.status().State.Rejected; return r != nil && r.Commit == badCommit })
	now := f.system()
	say("Reverted. The running system and the boot entry are still %s", now.current)
	if now != goodSys {
		t.Fatalf("after the revert got %+v, want %+v", now, goodSys)
	}
	say("`berth status`:\n%s", indent(f.statusText()))
	hist, _ := f.berth("history")
	say("`berth history`:\n%s", indent(hist))
	say("Each attempt's full log (nix build, switch-to-configuration output) is in /var/lib/berth/history/<attempt>.log.")
}

func activeWord(f *fleetHost, unit string) string {
	if f.active(unit) {
		return "active"
	}
	return "NOT active"
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
