package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loadWorkers is how many clients poll at once in the server benchmarks.
const loadWorkers = 8

// loadResult is what one bounded load run achieved.
type loadResult struct {
	polls     int
	serverCPU time.Duration
}

// benchServer is item 7: how many no-op polls per second one loopback
// server sustains from berth's Poll, and the server CPU time each costs,
// for git over HTTP, git over SSH and SFTP; beside each, the same load
// made of the baseline's polls (git fetch, bento's stamp download).
func benchServer(t *testing.T, p params) {
	repo := smallFleet(t, 20)
	h := httpRemote(t, repo)
	direct := strings.Replace(h.url, h.px.Addr(), h.http.Addr(), 1)
	cfg := h.gitConfig(t.TempDir(), "h001")
	cfg["URL"] = direct
	clone := filepath.Join(t.TempDir(), "clone")
	runCmd(t, h.git("/", "clone", "--quiet", "--single-branch", direct, clone))
	fetch := gitFetchLoop(h, clone, direct)
	serverRows(t, p, "git over HTTP", probeConfig{Git: cfg}, fetch, "git fetch", inProcessServer)
	if !isRoot() {
		skipped("item 7 over SSH and SFTP: needs root for sshd")
		return
	}
	s := sshRemote(t, repo)
	cfg = s.gitConfig(t.TempDir(), "h001")
	cfg["URL"] = s.url // through the proxy: the known_hosts file names it
	sclone := filepath.Join(t.TempDir(), "clone")
	runCmd(t, s.git("/", "clone", "--quiet", "--single-branch", s.url, sclone))
	serverRows(t, p, "git over SSH", probeConfig{Git: cfg}, gitFetchLoop(s, sclone, s.url), "git fetch", sshdServer)
	f := newSFTPFleet(t, 100)
	stamp := strings.Join(f.sftp(t.TempDir(), "get /config/last_change_date /dev/null\n").Args, " ")
	serverRows(t, p, "SFTP", f.probeConfig(), stamp, "sftp get last_change_date", sshdServer)
}

// gitFetchLoop is a shell command fetching main in clone over and over.
func gitFetchLoop(r *remote, clone, url string) string {
	cmd := r.git(clone, "fetch", "--quiet", url, "main")
	env := ""
	for _, e := range cmd.Env {
		if strings.HasPrefix(e, "GIT_") {
			env += shellQuote(e) + " "
		}
	}
	args := make([]string, len(cmd.Args))
	for i, a := range cmd.Args {
		args[i] = shellQuote(a)
	}
	return "cd " + shellQuote(clone) + " && env " + env + strings.Join(args, " ")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// serverMeter reads a server's CPU time so far. Inside is set when the
// server runs in this process, whose reaped children include the load
// client: its own CPU time is then taken out.
type serverMeter struct {
	read   func() time.Duration
	inside bool
}

var (
	inProcessServer = serverMeter{read: inProcessCPU, inside: true}
	sshdServer      = serverMeter{read: sshdCPUs}
)

// serverRows measures berth's load and the baseline's, in turn, and adds
// the rows.
func serverRows(t *testing.T, p params, scen string, cfg probeConfig, baseCmd, baseName string, server serverMeter) {
	cfgPath := writeProbeConfig(t, cfg)
	var b, base []loadResult
	for range max(p.Rounds/3, 1) {
		b = append(b, measureLoad(t, server, probeLoad(t, cfgPath, p.LoadTime)))
		base = append(base, measureLoad(t, server, shellLoad(baseCmd, p.LoadTime)))
	}
	secs := p.LoadTime.Seconds()
	perSec := func(r loadResult) float64 { return float64(r.polls) / secs }
	cpuPer := func(r loadResult) float64 { return ms(r.serverCPU) / max(float64(r.polls), 1) }
	perCore := func(r loadResult) float64 { return 60 / (cpuPer(r) / 1000) }
	scen = "server load, " + scen + ", " + itoa(loadWorkers) + " clients"
	for _, m := range []struct {
		name, unit, better string
		f                  func(loadResult) float64
	}{
		{"polls per second sustained", "/s", "higher", perSec},
		{"server CPU per poll", "ms", "lower", cpuPer},
		{"hosts one server core carries at 1 poll/min", "", "higher", perCore},
	} {
		add(Row{Item: 7, Scenario: scen, Metric: m.name, Unit: m.unit, Better: m.better,
			Berth: medianOf(b, m.f), Baseline: baseName, Base: medianOf(base, m.f)})
	}
}

func medianOf(rs []loadResult, f func(loadResult) float64) float64 {
	ss := make([]sample, len(rs))
	for i, r := range rs {
		ss[i] = sample{CPU: time.Duration(f(r) * float64(time.Millisecond))}
	}
	return median(ss, cpuMS)
}

// measureLoad runs client to completion and returns the polls it
// counted and the server CPU time spent meanwhile.
func measureLoad(t *testing.T, server serverMeter, client *exec.Cmd) loadResult {
	before := server.read()
	var out strings.Builder
	client.Stdout = &out
	client.Stderr = os.Stderr
	must(t, client.Run(), "load client")
	cpu := server.read() - before
	if server.inside {
		cpu -= rusageCPU(client.ProcessState.SysUsage().(*syscall.Rusage))
	}
	return loadResult{polls: countPolls(out.String()), serverCPU: cpu}
}

// countPolls reads a probe reply or counts a shell loop's "ok" lines.
func countPolls(out string) int {
	var rep probeReply
	if json.Unmarshal([]byte(out), &rep) == nil {
		return rep.Count
	}
	return strings.Count(out, "ok\n")
}

func probeLoad(t *testing.T, cfgPath string, d time.Duration) *exec.Cmd {
	return exec.Command(filepath.Join(binaries(t), "probe"), "-config", cfgPath, "-once", "load",
		"-workers", itoa(loadWorkers), "-seconds", fmt.Sprint(d.Seconds()))
}

// shellLoad runs cmd in loadWorkers loops for d, printing "ok" per
// success.
func shellLoad(cmd string, d time.Duration) *exec.Cmd {
	loop := fmt.Sprintf(`end=$(( $(date +%%s%%N) + %d )); while [ $(date +%%s%%N) -lt $end ]; do ( %s ) >/dev/null 2>&1 && echo ok; done`, d.Nanoseconds(), cmd)
	script := ""
	for range loadWorkers {
		script += "(" + loop + ") &\n"
	}
	return exec.Command("sh", "-c", script+"wait\n")
}

// inProcessCPU is the CPU time of this process and its reaped
// children: the git HTTP server and its git http-backend runs.
func inProcessCPU() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	return rusageCPU(&self) + rusageCPU(&kids)
}

// sshdCPUs is the CPU time of every sshd this process started, with
// the connection processes they reaped, from /proc.
func sshdCPUs() time.Duration {
	var total time.Duration
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cpu, ok := sshdCPU(pid); ok {
			total += cpu
		}
	}
	return total
}

// sshdCPU reads utime+stime+cutime+cstime of pid when it is an sshd
// child of this process.
func sshdCPU(pid int) (time.Duration, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || !strings.Contains(s[:i], "(sshd") {
		return 0, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 15 || f[1] != itoa(os.Getpid()) {
		return 0, false
	}
	var ticks int64
	for _, k := range []int{11, 12, 13, 14} {
		v, _ := strconv.ParseInt(f[k], 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * time.Second / 100, true
}
