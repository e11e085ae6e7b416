package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-nix/berth/internal/testserver"
)

// benchBigFetch is item 3: first and incremental fetch of a large
// generated fleet repository over HTTP. berth (a fresh probe process per
// fetch, so its peak memory is measured like git's) against `git clone
// --depth 1 --single-branch` and a full `git clone`, then each one's
// fetch after one new commit.
func benchBigFetch(t *testing.T, p params) {
	b := bigRepo{Hosts: p.BigHosts, Commits: p.BigCommits, CommitBytes: p.BigCommitBytes, Refs: 20}
	repo := testserver.NewRepo(t)
	b.generate(t, repo.BareDir())
	repo.AddRefs("tags", b.Refs)
	r := httpRemote(t, repo)
	size := dirSize(repo.BareDir())
	t.Logf("generated %d hosts, %d commits, %.0f MB", b.Hosts, b.Commits, float64(size)/1e6)
	var berthCfg, shallow, full string
	first := interleaveCold(p.BigRounds,
		func() sample {
			dir := t.TempDir()
			berthCfg = writeProbeConfig(t, probeConfig{Git: r.gitConfig(dir, "h001")})
			return r.metered(func() sample { return probeOnce(t, berthCfg, "pollfetch") })
		},
		func() sample {
			shallow = filepath.Join(t.TempDir(), "clone")
			return r.metered(func() sample {
				return runMem(t, r.git("/", "clone", "--quiet", "--depth", "1", "--single-branch", "--branch", "main", r.url, shallow))
			})
		},
		func() sample {
			full = filepath.Join(t.TempDir(), "clone")
			return r.metered(func() sample { return runMem(t, r.git("/", "clone", "--quiet", r.url, full)) })
		},
	)
	scen := "first fetch, " + repoShape(b, size)
	ms := append(costMetrics[:4:4], metric{"peak RSS", "MB", rssMB})
	addAll(3, scen, "git clone --depth 1 --single-branch", first[0], first[1], ms)
	addAll(3, scen, "git clone (full)", first[0], first[2], ms)
	next := b.Commits
	inc := interleaveCold(p.Rounds,
		func() sample { b.addCommit(t, repo.BareDir(), next); next++; return sample{} },
		func() sample { return r.metered(func() sample { return probeOnce(t, berthCfg, "pollfetch") }) },
		func() sample {
			return r.metered(func() sample { return runMem(t, r.git(shallow, "fetch", "--quiet", "origin", "main")) })
		},
		func() sample {
			return r.metered(func() sample { return runMem(t, r.git(full, "fetch", "--quiet", "origin", "main")) })
		},
	)
	scen = "incremental fetch (1 new commit), " + repoShape(b, size)
	addAll(3, scen, "git fetch in the depth-1 clone", inc[1], inc[2], ms)
	addAll(3, scen, "git fetch in the full clone", inc[1], inc[3], ms)
}

func repoShape(b bigRepo, size int64) string {
	return itoa(b.Hosts) + " hosts, " + itoa(b.Commits) + " text commits, " + itoa(b.Refs+1) + " refs, " + itoa(int(size/1e6)) + " MB repo"
}

// interleaveCold is interleave without the warm-up round, for operations
// too slow to run an extra time.
func interleaveCold(rounds int, ops ...func() sample) [][]sample {
	out := make([][]sample, len(ops))
	for range rounds {
		for i, op := range ops {
			out[i] = append(out[i], op())
		}
	}
	return out
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
