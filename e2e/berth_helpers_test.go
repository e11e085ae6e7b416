package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/e2e/testhost"
	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/internal/testserver"
)

// berthBinary builds cmd/berth once per test process, statically, so it
// runs inside the test host whatever its libraries.
func berthBinary(t testing.TB) string {
	t.Helper()
	return testenv.BerthBinary(t, "../cmd/berth")
}

// fleetHost is a test host set up as an installed NixOS machine that
// follows a fleet repository served over HTTP with a token.
type fleetHost struct {
	t     *testing.T
	h     *testhost.Host
	repo  *testserver.Repo
	git   *testserver.GitHTTP
	base  string
	extra string
	// byName: the host reaches its git server as gitHostName (see
	// reachByName).
	byName bool
}

const fleetToken = "s3cret-fleet-token"

// newFleetHost boots a host named alpha in a fleet of alpha and beta, with
// berth installed but not running as a service.
func newFleetHost(t *testing.T, alpha fixture.Host, configExtra string) *fleetHost {
	testhost.Require(t)
	repo := fixture.Fleet(t, alpha, fixture.Host{Name: "beta", Units: map[string]string{"beta.service": fixture.SleepService("beta")}})
	f := &fleetHost{t: t, repo: repo, git: testserver.StartGitHTTP(t, repo, fleetToken), extra: configExtra}
	f.h, f.base = bootInstalled(t)
	f.write("/etc/berth/token", fleetToken+"\n", 0o600)
	f.write("/etc/berth/config.yaml", f.config(), 0o600)
	return f
}

// bootInstalled boots a test host that looks like an installed NixOS
// machine named alpha, running a base system, with the berth binary
// installed but not running. It returns the host and the base system.
func bootInstalled(t *testing.T) (*testhost.Host, string) {
	h := testhost.Boot(t)
	base := fixture.InstallBaseOn(t, h, fixture.Host{Name: "alpha", Units: map[string]string{"base.service": fixture.SleepService("base")}})
	if err := h.CopyIn(berthBinary(t), "/usr/local/bin/berth"); err != nil {
		t.Fatal(err)
	}
	return h, base
}

// agentSettings follows the source in every test host's config.yaml: an
// hourly schedule (tests poll with berth run or a restart) and short
// timeouts.
const agentSettings = `schedule:
  cron: "@every 1h"
  jitter: 0s
activation:
  settle: 1s
  test_timeout: 30s
log:
  level: debug
`

func (f *fleetHost) config() string {
	if f.byName {
		url := strings.Replace(f.git.URL(), "http://127.0.0.1:", "http://"+gitHostName+":", 1)
		return fmt.Sprintf("hostname: alpha\nsource:\n  git:\n    url: %s\n%s%s", url, agentSettings, f.extra)
	}
	return fmt.Sprintf(`hostname: alpha
source:
  git:
    url: %s
    token_file: /etc/berth/token
%s%s`, f.git.URL(), agentSettings, f.extra)
}

// reachByName makes the host reach its git server by the name
// gitHostName, mapped to 127.0.0.1 in its /etc/hosts, so that a
// configuration can cut it off by name. The repository is then served
// without a token: berth sends a token over plain http only to a
// loopback address written as one (docs/security.md).
func (f *fleetHost) reachByName(t *testing.T) {
	t.Helper()
	f.git = testserver.StartGitHTTP(t, f.repo, "")
	f.byName = true
	f.h.Run(t, "sh", "-c", "echo '127.0.0.1 "+gitHostName+"' >> /etc/hosts")
	f.write("/etc/berth/config.yaml", f.config(), 0o600)
}

func (f *fleetHost) write(p, content string, mode os.FileMode) {
	f.t.Helper()
	if err := f.h.WriteFile(p, []byte(content), mode); err != nil {
		f.t.Fatal(err)
	}
}

// push commits host into the fleet and pushes it.
func (f *fleetHost) push(h fixture.Host, msg string) string {
	f.t.Helper()
	fixture.PutHost(f.t, f.repo, h)
	c := f.repo.Commit(msg)
	f.repo.Push()
	return c
}

// berth runs the berth CLI inside the host and returns its output and
// exit status.
func (f *fleetHost) berth(args ...string) (string, int) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := f.h.Exec(ctx, append([]string{"berth"}, args...)...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	f.t.Fatalf("berth %v: %v\n%s", args, err, out)
	return "", -1
}

// run runs `berth run` and checks its exit status.
func (f *fleetHost) run(want int, args ...string) string {
	f.t.Helper()
	out, code := f.berth(append([]string{"run"}, args...)...)
	if code != want {
		f.t.Fatalf("berth run %v: got exit %d, want %d\n%s\nstatus:\n%s", args, code, want, out, f.statusText())
	}
	return out
}

func (f *fleetHost) statusText() string {
	out, _ := f.berth("status")
	return out
}

// hostState is the part of `berth status --json` the tests read.
type hostState struct {
	State struct {
		Applied *struct {
			Revision, Commit, Digest, Toplevel string
		}
		Rejected *struct {
			Revision, Commit, Digest string
			Phase, Reason            string
		}
		InProgress    *json.RawMessage `json:"in_progress"`
		FetchFailures int              `json:"fetch_failures"`
		Last          *struct{ Result, Phase, Error string }
	}
}

func (f *fleetHost) status() hostState {
	f.t.Helper()
	out, code := f.berth("status", "--json")
	if code != 0 {
		f.t.Fatalf("berth status --json: exit %d\n%s", code, out)
	}
	var s hostState
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		f.t.Fatalf("berth status --json: %v\n%s", err, out)
	}
	return s
}

// system is what the host runs and boots.
type system struct{ current, profile, boot string }

func (f *fleetHost) system() system {
	f.t.Helper()
	return system{
		current: f.readlink("/run/current-system"),
		profile: f.readlink(fixture.SystemProfile),
		boot:    strings.TrimSpace(f.h.Run(f.t, "cat", fixture.BootEntry)),
	}
}

func (f *fleetHost) readlink(p string) string {
	return strings.TrimSpace(f.h.Run(f.t, "readlink", "-f", p))
}

// active reports whether unit is active in the host.
func (f *fleetHost) active(unit string) bool {
	out, _ := f.h.Exec(context.Background(), "systemctl", "is-active", unit)
	return strings.TrimSpace(string(out)) == "active"
}

// nixCalls counts nix invocations recorded by the image's nix wrapper.
func (f *fleetHost) nixCalls() int {
	out, _ := f.h.Exec(context.Background(), "sh", "-c", "cat /var/log/nix-invocations 2>/dev/null | wc -l")
	var n int
	fmt.Sscan(strings.TrimSpace(string(out)), &n)
	return n
}

// generations counts the system profile's generations.
func (f *fleetHost) generations() int {
	out := f.h.Run(f.t, "sh", "-c", "ls -d /nix/var/nix/profiles/system-*-link | wc -l")
	var n int
	fmt.Sscan(strings.TrimSpace(out), &n)
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func (f *fleetHost) waitFor(what string, d time.Duration, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out after %s waiting for %s\nstatus:\n%s\njournal:\n%s", d, what, f.statusText(), f.h.Journal(f.t, "berth.service"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// startAgent installs berth as its systemd service with config and waits
// until the deploy it makes at start has settled.
func (f *fleetHost) startAgent(config string) {
	f.t.Helper()
	f.h.InstallBerth(f.t, berthBinary(f.t), []byte(config))
	f.waitFor("the first deploy", 2*time.Minute, func() bool {
		st := f.status().State
		return st.Applied != nil && st.InProgress == nil
	})
}
