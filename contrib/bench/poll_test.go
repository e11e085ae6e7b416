package bench

import (
	"fmt"
	"testing"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/internal/testserver"
)

// smallFleet is a fleet repository of n fixture hosts named h001...
func smallFleet(t testing.TB, n int) *testserver.Repo {
	t.Helper()
	hosts := make([]fixture.Host, n)
	for i := range hosts {
		hosts[i] = fixture.Host{Name: hostName(i), Units: map[string]string{"app.service": fixture.SleepService(hostName(i))}}
	}
	return fixture.Fleet(t, hosts...)
}

func hostName(i int) string { return fmt.Sprintf("h%03d", i+1) }

// benchPoll is item 1 for git: a poll that finds nothing new, berth's
// Poll against `git fetch origin main` in an up-to-date clone, over HTTP
// and SSH, with 20 references on the remote and with 2,000. Each berth
// poll starts cold, as on a real schedule (see the probe's coldStart).
// The SFTP half is in sftppoll_test.go.
func benchPoll(t *testing.T, p params) {
	repo := smallFleet(t, 20)
	repo.AddRefs("tags", 19)
	pollRemotes(t, p, repo, "20 refs")
	repo.AddRefs("heads", 1980)
	pollRemotes(t, p, repo, "2000 refs")
	benchSFTPPoll(t, p)
}

func pollRemotes(t *testing.T, p params, repo *testserver.Repo, refs string) {
	remotes := []*remote{httpRemote(t, repo)}
	if isRoot() {
		remotes = append(remotes, sshRemote(t, repo))
	} else {
		skipped("item 1 over SSH: needs root for sshd")
	}
	for _, r := range remotes {
		pollOne(t, p, r, refs)
	}
}

func pollOne(t *testing.T, p params, r *remote, refs string) {
	dir := t.TempDir()
	pr := startProbe(t, writeProbeConfig(t, probeConfig{Git: r.gitConfig(dir, "h001")}))
	clone := dir + "/clone"
	runCmd(t, r.git(dir, "clone", "--quiet", "--single-branch", "--branch", "main", r.url, clone))
	res := interleave(p.Rounds,
		func() sample { return r.metered(func() sample { return pr.opCold("poll") }) },
		func() sample {
			return r.metered(func() sample { return runCmd(t, r.git(clone, "fetch", "--quiet", "origin", "main")) })
		},
	)
	ms := costMetrics
	if r.http != nil {
		ms = append(ms, metric{"HTTP requests", "", requests})
	}
	addAll(1, "no-op poll, git over "+r.name+", "+refs, "git fetch origin main (existing clone)", res[0], res[1], ms)
}
