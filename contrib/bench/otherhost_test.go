package bench

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/e2e/fixture"
)

// benchOtherHost is item 2: a commit that changes another host of a
// FleetHosts-host fleet. berth's reconcile (poll, incremental fetch,
// lineage check, digest comparison) must end "unchanged" without any Nix
// evaluation; the baseline is the one `nix eval` of the host's toplevel
// drvPath that an agent which always evaluates pays on every new commit.
func benchOtherHost(t *testing.T, p params) {
	repo := smallFleet(t, p.FleetHosts)
	r := httpRemote(t, repo)
	dir := t.TempDir()
	cfg := probeConfig{Git: r.gitConfig(dir, "h001"), StateDir: filepath.Join(dir, "state")}
	must(t, os.MkdirAll(cfg.StateDir, 0o700), "state dir")
	pr := startProbe(t, writeProbeConfig(t, cfg))
	digest := pr.do(map[string]any{"op": "prime"}, false).Out
	flake := filepath.Join(dir, "stage", strings.TrimPrefix(digest, "sha256:"), "flake")
	clone := filepath.Join(dir, "clone")
	runCmd(t, r.git(dir, "clone", "--quiet", "--single-branch", r.url, clone))
	rng := rand.New(rand.NewPCG(5, 6))
	n := 0
	res := interleave(p.Rounds,
		func() sample {
			n++
			other := fixture.Host{Name: hostName(1 + rng.IntN(p.FleetHosts-1)),
				Units: map[string]string{"app.service": fixture.SleepService("change " + itoa(n))}}
			fixture.PutHost(t, repo, other)
			repo.Commit("change " + other.Name)
			repo.Push()
			return sample{}
		},
		func() sample { return r.metered(func() sample { return pr.opCold("reconcile") }) },
		func() sample { return runCmd(t, nixEval(flake, "h001")) },
		func() sample {
			return r.metered(func() sample {
				return add2(runCmd(t, r.git(clone, "pull", "--quiet", "--ff-only", "origin", "main")), runCmd(t, nixEval(flake, "h001")))
			})
		},
	)
	scen := "commit to another host, " + itoa(p.FleetHosts) + "-host fleet: time to \"unchanged\""
	base := "nix eval of the host's toplevel drvPath (no eval cache)"
	addAll(2, scen, base, res[1], res[2], []metric{{"wall time", "ms", wallMS}, {"CPU time", "ms", cpuMS}})
	addAll(2, scen, "git pull + nix eval (an agent that evaluates every commit)", res[1], res[3],
		[]metric{{"wall time", "ms", wallMS}, {"CPU time", "ms", cpuMS}, {"bytes received", "B", downB}, {"round trips", "", turns}})
}

// nixEval evaluates host's toplevel derivation path from a resolved flake
// directory, without the evaluation cache, as an agent that evaluates
// every new commit would.
func nixEval(flake, host string) *exec.Cmd {
	args := append([]string{"eval", "--raw"}, fixture.NixArgs...)
	args = append(args, "--option", "eval-cache", "false",
		"path:"+flake+"#"+fixture.Host{Name: host}.Attr()+".drvPath")
	return exec.Command("nix", args...)
}
