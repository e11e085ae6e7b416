package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/e2e/testhost"
	"github.com/berth-nix/berth/internal/testserver"
)

// benchHost is a systemd test host installed as NixOS host alpha, with
// berth following a fleet repository over HTTP.
type benchHost struct {
	t    *testing.T
	h    *testhost.Host
	repo *testserver.Repo
	git  *testserver.GitHTTP
}

func newBenchHost(t *testing.T) *benchHost {
	testhost.Require(t)
	bin := filepath.Join(binaries(t), "berth")
	repo := fixture.Fleet(t, alphaWith("v0"), fixture.Host{Name: "beta"})
	b := &benchHost{t: t, repo: repo, git: testserver.StartGitHTTP(t, repo, benchToken)}
	b.h = testhost.Boot(t)
	fixture.InstallBaseOn(t, b.h, fixture.Host{Name: "alpha"})
	must(t, b.h.CopyIn(bin, "/usr/local/bin/berth"), "copy berth")
	must(t, b.h.WriteFile("/etc/berth/token", []byte(benchToken+"\n"), 0o600), "token")
	must(t, b.h.WriteFile("/etc/berth/config.yaml", []byte(b.config("@every 1h")), 0o600), "config")
	return b
}

// alphaWith is host alpha running one service whose text carries tag, so
// that every tag is a new system to build and switch to.
func alphaWith(tag string) fixture.Host {
	return fixture.Host{Name: "alpha", Units: map[string]string{"app.service": fixture.SleepService("app " + tag)}}
}

// config is berth's configuration; settle is 0 so that the figure is
// berth's own work, not the deliberate wait before judging units.
func (b *benchHost) config(cron string) string {
	return fmt.Sprintf(`hostname: alpha
source:
  git:
    url: %s
    token_file: /etc/berth/token
schedule:
  cron: %q
  jitter: 0s
activation:
  settle: 0s
`, b.git.URL(), cron)
}

// manualSwitch is what an admin types to deploy a flake by hand, as
// nixos-rebuild does it: build, test in a transient unit, set the
// profile, make it the boot default.
const manualSwitch = `set -e
top=$(nix build --json --no-link --extra-experimental-features 'nix-command flakes' --option substituters '' "path:$1#$2" | sed 's/.*"out":"\([^"]*\)".*/\1/')
systemd-run -E LOCALE_ARCHIVE --collect --no-ask-password --pipe --quiet --service-type=exec --unit=bench-switch-to-configuration --wait "$top/bin/switch-to-configuration" test
nix-env -p /nix/var/nix/profiles/system --set "$top"
"$top/bin/switch-to-configuration" boot
`

// benchTestHost runs items 5 and 6 in one test host: a full reconcile
// against the same steps by hand, then the idle agent.
func benchTestHost(t *testing.T, p params) {
	requireRoot(t, "items 5 and 6 (systemd test host)")
	b := newBenchHost(t)
	b.reconcileRounds(p)
	b.idleAgent(p)
}

func (b *benchHost) reconcileRounds(p params) {
	t := b.t
	must(t, b.h.WriteFile("/root/manual-switch", []byte(manualSwitch), 0o755), "script")
	noReach := b.config("@every 1h") + "health:\n  reachability:\n    enabled: false\n"
	must(t, b.h.WriteFile("/etc/berth/noreach.yaml", []byte(noReach), 0o600), "config")
	var phases []map[string]float64
	n := 0
	res := interleaveCold(p.ReconcileRounds,
		func() sample {
			n++
			b.push(fmt.Sprintf("berth %d", n))
			dir := filepath.Join(t.TempDir(), "alpha")
			must(t, fixture.WriteHost(dir, alphaWith(fmt.Sprintf("manual %d", n))), "host dir")
			must(t, b.h.CopyIn(dir, fmt.Sprintf("/root/manual-%d", n)), "copy host dir")
			return sample{}
		},
		func() sample { s := b.timed("berth", "run"); phases = append(phases, b.lastPhases()); return s },
		func() sample { b.push(fmt.Sprintf("berth-noreach %d", n)); return sample{} },
		func() sample { return b.timed("berth", "--config", "/etc/berth/noreach.yaml", "run") },
		func() sample {
			return b.timed("/root/manual-switch", fmt.Sprintf("/root/manual-%d", n), alphaWith("").Attr())
		},
	)
	scen := "deploy a new system in the systemd test host (settle 0 s)"
	base := "by hand: nix build, systemd-run … test, nix-env --set, … boot"
	ms := []metric{{"wall time", "ms", wallMS}, {"CPU time outside the switch unit", "ms", cpuMS}}
	addAll(5, scen+", defaults", base, res[1], res[4], ms)
	addAll(5, scen+", reachability check off", base, res[3], res[4], ms)
	overhead(scen+", defaults", res[1], res[4])
	overhead(scen+", reachability check off", res[3], res[4])
	for _, ph := range []string{"build", "preflight", "test", "verify", "promote"} {
		var v []sample
		for _, m := range phases {
			v = append(v, sample{Wall: time.Duration(m[ph] * float64(time.Second))})
		}
		add(Row{Item: 5, Scenario: scen + ", defaults", Metric: "phase " + ph + " (berth history)", Unit: "ms", Berth: median(v, wallMS)})
	}
}

// overhead adds berth's extra wall time over the manual steps, per round.
func overhead(scen string, berth, manual []sample) {
	d := make([]sample, len(berth))
	for i := range d {
		d[i] = sample{Wall: berth[i].Wall - manual[i].Wall}
	}
	add(Row{Item: 5, Scenario: scen, Metric: "berth's overhead (berth − by hand)", Unit: "ms", Berth: median(d, wallMS)})
}

// push commits alpha with a service tagged tag and pushes it.
func (b *benchHost) push(tag string) {
	fixture.PutHost(b.t, b.repo, alphaWith(tag))
	b.repo.Commit("alpha " + tag)
	b.repo.Push()
}

// lastPhases reads the phase durations of the latest attempt from
// `berth history --json`.
func (b *benchHost) lastPhases() map[string]float64 {
	var atts []struct {
		Started   time.Time          `json:"started"`
		Durations map[string]float64 `json:"durations_seconds"`
	}
	out := b.h.Run(b.t, "berth", "history", "--json")
	must(b.t, json.Unmarshal([]byte(out), &atts), "berth history --json")
	var last map[string]float64
	var at time.Time
	for _, a := range atts {
		if a.Started.After(at) {
			at, last = a.Started, a.Durations
		}
	}
	return last
}

// timed runs a command in the host and measures it (nsenter waits for it,
// so its rusage covers the command and what it waited for).
func (b *benchHost) timed(args ...string) sample {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return runCmd(b.t, b.h.Command(ctx, args...))
}

// idleAgent starts berth as a service with an hourly schedule, reads
// its CPU time over a window with nothing to do, then asks it to poll
// AgentPolls times (berth trigger, AgentEvery apart: the schedule itself
// is checked every 30 s, too coarse for a short run) and reads its CPU
// time and memory from /proc again.
func (b *benchHost) idleAgent(p params) {
	t := b.t
	b.h.InstallBerth(t, filepath.Join(binaries(t), "berth"), []byte(b.config("@every 1h")))
	time.Sleep(2 * time.Second) // the start-up reconcile
	pid := strings.TrimSpace(b.h.Run(t, "systemctl", "show", "-p", "MainPID", "--value", "berth.service"))
	idle := min(time.Duration(p.AgentPolls)*p.AgentEvery, time.Minute)
	cpu0, _, _ := b.procStats(pid)
	time.Sleep(idle)
	cpu1, _, _ := b.procStats(pid)
	b.git.Reset()
	for range p.AgentPolls {
		b.h.Run(t, "berth", "trigger")
		time.Sleep(p.AgentEvery)
	}
	cpu2, rss, hwm := b.procStats(pid)
	anon, file := b.procRSS(pid)
	polls := b.git.Requests()
	if polls == 0 {
		t.Fatalf("the agent did not poll\n%s", b.h.Journal(t, "berth.service"))
	}
	idleRate := ms(cpu1-cpu0) / idle.Seconds() // ms of CPU per second
	perPoll := max(ms(cpu2-cpu1)-idleRate*idle.Seconds(), 0) / float64(polls)
	fetchCPU := b.localFetchCPU(p)
	scen := fmt.Sprintf("idle agent, %d polls", polls)
	add(Row{Item: 6, Scenario: scen, Metric: "CPU per poll (10 ms /proc resolution)", Unit: "ms", Berth: perPoll,
		Baseline: "git fetch (CPU per run)", Base: fetchCPU})
	add(Row{Item: 6, Scenario: scen, Metric: "CPU while idle", Unit: "ms/min", Berth: idleRate * 60})
	add(Row{Item: 6, Scenario: scen, Metric: "CPU per hour at a 1-minute schedule", Unit: "s", Berth: (60*perPoll + 3600*idleRate) / 1000,
		Baseline: "timer running git fetch every minute", Base: 60 * fetchCPU / 1000})
	add(Row{Item: 6, Scenario: scen, Metric: "resident memory (VmRSS)", Unit: "MB", Berth: float64(rss) / 1024})
	add(Row{Item: 6, Scenario: scen, Metric: "peak resident memory (VmHWM)", Unit: "MB", Berth: float64(hwm) / 1024})
	add(Row{Item: 6, Scenario: scen, Metric: "of which anonymous (RssAnon: heap, stacks, runtime)", Unit: "MB", Berth: float64(anon) / 1024})
	add(Row{Item: 6, Scenario: scen, Metric: "of which file-backed (RssFile: the binary's pages)", Unit: "MB", Berth: float64(file) / 1024})
	b.binarySize()
}

// procStats reads pid's CPU time (utime+stime) and memory in the host.
func (b *benchHost) procStats(pid string) (cpu time.Duration, rssKB, hwmKB int64) {
	stat := b.h.Run(b.t, "cat", "/proc/"+pid+"/stat")
	f := strings.Fields(stat[strings.LastIndexByte(stat, ')')+2:])
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	status := b.procStatus(pid)
	return time.Duration(ut+st) * time.Second / 100, status["VmRSS:"], status["VmHWM:"]
}

// procStatus reads the numeric fields of pid's /proc status, in kB for
// memory.
func (b *benchHost) procStatus(pid string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(b.h.Run(b.t, "cat", "/proc/"+pid+"/status"), "\n") {
		var key string
		var v int64
		fmt.Sscan(line, &key, &v)
		out[key] = v
	}
	return out
}

// procRSS splits pid's resident memory into anonymous and file-backed.
func (b *benchHost) procRSS(pid string) (anonKB, fileKB int64) {
	st := b.procStatus(pid)
	return st["RssAnon:"], st["RssFile:"]
}

// localFetchCPU is the median CPU time of a no-op `git fetch` against the
// same server, on this machine.
func (b *benchHost) localFetchCPU(p params) float64 {
	r := &remote{url: b.git.URL(), http: b.git}
	clone := filepath.Join(b.t.TempDir(), "clone")
	runCmd(b.t, r.git("/", "clone", "--quiet", "--single-branch", r.url, clone))
	res := interleave(p.Rounds, func() sample { return runCmd(b.t, r.git(clone, "fetch", "--quiet", "origin", "main")) })
	return median(res[0], cpuMS)
}

// binarySize reports the size of the static berth binary as built here.
func (b *benchHost) binarySize() {
	fi, err := os.Stat(filepath.Join(binaries(b.t), "berth"))
	must(b.t, err, "berth binary")
	add(Row{Item: 6, Scenario: "binary", Metric: "size of the static berth binary (go build, not stripped)", Unit: "MB",
		Berth: float64(fi.Size()) / 1e6})
}
