package bench

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testenv"
)

// params size a run. Quick mode proves the benchmarks work in CI within
// two minutes; full mode produces the figures in docs/performance.md.
type params struct {
	// Rounds is how many interleaved repetitions each comparison makes.
	Rounds int
	// FleetHosts is the fleet size of the "change on another host" case.
	FleetHosts int
	// BigHosts, BigCommits and BigCommitBytes shape the generated large
	// fleet repository: each commit rewrites one line of a host's
	// BigCommitBytes text file.
	BigHosts, BigCommits, BigCommitBytes int
	// BigRounds repeats the (slow) whole-repository clones.
	BigRounds int
	// SFTPFiles is the number of files in the SFTP host tree.
	SFTPFiles int
	// LoadTime is how long each server-side load test runs.
	LoadTime time.Duration
	// ReconcileRounds repeats the reconcile in the test host.
	ReconcileRounds int
	// AgentPolls and AgentEvery: the idle agent's schedule. In full mode
	// polls are 31 s apart, longer than berth's HTTP client keeps an idle
	// connection, so each pays for its connection as on a real schedule.
	AgentPolls int
	AgentEvery time.Duration
}

var modes = map[string]params{
	"quick": {Rounds: 5, FleetHosts: 200, BigHosts: 50, BigCommits: 500, BigCommitBytes: 2 << 10, BigRounds: 1,
		SFTPFiles: 300, LoadTime: 3 * time.Second, ReconcileRounds: 2, AgentPolls: 8, AgentEvery: time.Second},
	"full": {Rounds: 9, FleetHosts: 500, BigHosts: 500, BigCommits: 20000, BigCommitBytes: 2 << 10, BigRounds: 3,
		SFTPFiles: 2000, LoadTime: 10 * time.Second, ReconcileRounds: 5, AgentPolls: 6, AgentEvery: 31 * time.Second},
}

// TestBench runs every benchmark of the mode named by BERTH_BENCH and
// writes the report into BERTH_BENCH_OUT (default: a new temporary
// directory, printed). Without BERTH_BENCH it skips.
func TestBench(t *testing.T) {
	mode := os.Getenv("BERTH_BENCH")
	if mode == "" {
		t.Skip("set BERTH_BENCH=quick or full (contrib/bench/run)")
	}
	p, ok := modes[mode]
	if !ok {
		t.Fatalf("BERTH_BENCH=%q: want quick or full", mode)
	}
	out := outDir(t)
	report.Mode, report.Rounds, report.Load, report.Kernel = mode, p.Rounds, loadAvg(), kernel()
	binaries(t)
	// comin is the nearest tool (docs/performance.md); it is measured only
	// when built from its source on the machine, which this suite does not
	// do on its own.
	skipped("comin baseline: not built here (its source and Go modules would have to be fetched for the run)")
	for _, b := range []struct {
		name string
		run  func(*testing.T, params)
	}{
		{"poll", benchPoll},
		{"otherhost", benchOtherHost},
		{"bigfetch", benchBigFetch},
		{"sftpfetch", benchSFTPFetch},
		{"server", benchServer},
		{"testhost", benchTestHost},
	} {
		t.Run(b.name, func(t *testing.T) { b.run(t, p) })
	}
	if err := writeReport(out); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(out + "/report.md")
	t.Logf("report in %s:\n%s", out, md)
}

func outDir(t *testing.T) string {
	dir := os.Getenv("BERTH_BENCH_OUT")
	if dir == "" {
		var err error
		dir, err = os.MkdirTemp("", "berth-bench-")
		must(t, err, "output directory")
	}
	must(t, os.MkdirAll(dir, 0o755), "output directory")
	return dir
}

func kernel() string {
	out, err := exec.Command("uname", "-r").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// requireRoot skips benchmarks that need root, noting it in the report.
func requireRoot(t *testing.T, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipped(what + ": needs root")
		testenv.Root(t, what)
	}
}

func isRoot() bool { return os.Geteuid() == 0 }
