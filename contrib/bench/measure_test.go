package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sample is the cost of one operation. Fields a measurement cannot see
// stay zero.
type sample struct {
	Wall, CPU time.Duration
	// Up and Down are the bytes the client sent and received on the wire
	// (TCP payload, through the counting proxy).
	Up, Down int64
	// Turns counts request/response exchanges seen on the wire: how often
	// the client spoke again after the server had answered.
	Turns, Conns int
	// Requests is the HTTP requests the server answered.
	Requests int
	// RSSKB is peak resident memory in KiB.
	RSSKB int64
}

// runCmd runs cmd to completion and measures it with wait4's rusage: CPU
// of the process and of the descendants it waited for. It fails the test
// when cmd fails. Its RSSKB is not the command's: see runMem.
func runCmd(t testing.TB, cmd *exec.Cmd) sample {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return sample{Wall: wall, CPU: rusageCPU(ru), RSSKB: ru.Maxrss}
}

// runMem is runCmd that also measures the peak RSS of the command and its
// descendants, through GNU time (package time). wait4's ru_maxrss of a
// child Go starts is useless for this: Go starts children with vfork, and
// Linux carries the parent's peak RSS over into the child at exec.
func runMem(t testing.TB, cmd *exec.Cmd) sample {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rss")
	cmd.Args = append([]string{"/usr/bin/time", "-f", "%M", "-o", out, "--"}, cmd.Args...)
	cmd.Path = "/usr/bin/time"
	s := runCmd(t, cmd)
	data, err := os.ReadFile(out)
	must(t, err, "GNU time output")
	s.RSSKB, err = strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	must(t, err, "GNU time output %q", data)
	return s
}

func rusageCPU(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// interleave runs each of ops once per round, rounds times, in turn, so
// that load from elsewhere on the machine falls on all of them alike, and
// returns each op's samples. A warm-up round is run and discarded first.
func interleave(rounds int, ops ...func() sample) [][]sample {
	for _, op := range ops {
		op()
	}
	out := make([][]sample, len(ops))
	for range rounds {
		for i, op := range ops {
			out[i] = append(out[i], op())
		}
	}
	return out
}

// median is the median of the values f picks from ss.
func median(ss []sample, f func(sample) float64) float64 {
	if len(ss) == 0 {
		return 0
	}
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Metric pickers, in the units the report prints.
var (
	wallMS   = func(s sample) float64 { return ms(s.Wall) }
	cpuMS    = func(s sample) float64 { return ms(s.CPU) }
	upBytes  = func(s sample) float64 { return float64(s.Up) }
	downB    = func(s sample) float64 { return float64(s.Down) }
	turns    = func(s sample) float64 { return float64(s.Turns) }
	conns    = func(s sample) float64 { return float64(s.Conns) }
	requests = func(s sample) float64 { return float64(s.Requests) }
	rssMB    = func(s sample) float64 { return float64(s.RSSKB) / 1024 }
)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func must(t testing.TB, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

// metric is one figure taken from samples.
type metric struct {
	name, unit string
	f          func(sample) float64
}

// costMetrics are what a network operation costs the client.
var costMetrics = []metric{
	{"wall time", "ms", wallMS}, {"CPU time", "ms", cpuMS},
	{"bytes received", "B", downB}, {"bytes sent", "B", upBytes},
	{"round trips", "", turns}, {"connections", "", conns},
}

// addAll adds one row per metric comparing the medians of berth's samples
// with the baseline's.
func addAll(item int, scenario, baseline string, berth, base []sample, ms []metric) {
	for _, m := range ms {
		add(Row{Item: item, Scenario: scenario, Metric: m.name, Unit: m.unit,
			Berth: median(berth, m.f), Baseline: baseline, Base: median(base, m.f)})
	}
}

func itoa(n int) string { return fmt.Sprint(n) }

// add2 is the cost of a and b run one after the other.
func add2(a, b sample) sample {
	return sample{Wall: a.Wall + b.Wall, CPU: a.CPU + b.CPU, RSSKB: max(a.RSSKB, b.RSSKB)}
}
