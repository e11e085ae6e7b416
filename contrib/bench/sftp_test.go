package bench

import (
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchSFTPPoll is item 1 for SFTP: berth's Poll (reads manifest.json)
// against what a client without a manifest does to notice a change:
// listing every directory of the published tree with `sftp`, and against
// bento's way, fetching a one-line last_change_date file.
func benchSFTPPoll(t *testing.T, p params) {
	if !isRoot() {
		skipped("item 1 over SFTP: needs root for sshd and chroot users")
		return
	}
	s := newSFTPFleet(t, p.SFTPFiles)
	pr := startProbe(t, writeProbeConfig(t, s.probeConfig()))
	dir := t.TempDir()
	stamp := "get /config/last_change_date " + dir + "/stamp\n"
	res := interleave(p.Rounds,
		func() sample { return s.metered(func() sample { return pr.opCold("poll") }) },
		func() sample { return s.metered(func() sample { return runCmd(t, s.sftp(dir, s.listBatch())) }) },
		func() sample { return s.metered(func() sample { return runCmd(t, s.sftp(dir, stamp)) }) },
	)
	scen := "no-op poll, SFTP, " + itoa(p.SFTPFiles) + "-file tree"
	addAll(1, scen, "sftp: ls -l every directory of the tree", res[0], res[1], costMetrics)
	addAll(1, scen, "sftp: get last_change_date (bento)", res[0], res[2], costMetrics)
}

// benchSFTPFetch is item 4: after one file of the tree changed and was
// published, berth's poll and incremental fetch (one connection, as in a
// reconcile) against downloading the whole
// published tree with `sftp -r` (bento's way).
func benchSFTPFetch(t *testing.T, p params) {
	if !isRoot() {
		skipped("item 4: needs root for sshd and chroot users")
		return
	}
	s := newSFTPFleet(t, p.SFTPFiles)
	pr := startProbe(t, writeProbeConfig(t, s.probeConfig()))
	pr.op("fetch")
	rng := rand.New(rand.NewPCG(3, 4))
	res := interleave(p.Rounds,
		func() sample { s.writeFile(rng.IntN(s.n), rng); s.publish(); return sample{} },
		func() sample { return s.metered(func() sample { return pr.opCold("pollfetch") }) },
		func() sample {
			dst := t.TempDir()
			return s.metered(func() sample { return runCmd(t, s.sftp(dst, "get -r /config/"+s.treeDir()+" tree\n")) })
		},
	)
	scen := "fetch after 1 of " + itoa(p.SFTPFiles) + " files changed, SFTP"
	addAll(4, scen, "sftp -r of the whole tree (bento)", res[1], res[2], costMetrics[:4])
}

// treeDir is the published tree's directory relative to the
// configuration directory, read from the manifest on the server's disk.
func (s *sftpFleet) treeDir() string {
	data, err := os.ReadFile(filepath.Join(s.srv.ChrootDir(sftpUser), "config", "manifest.json"))
	must(s.t, err, "manifest")
	var m struct{ Digest string }
	must(s.t, json.Unmarshal(data, &m), "manifest")
	return "trees/" + strings.TrimPrefix(m.Digest, "sha256:")
}

// listBatch is an sftp batch listing every directory of the published
// tree, as the chroot shows it.
func (s *sftpFleet) listBatch() string {
	root := filepath.Join(s.srv.ChrootDir(sftpUser), "config")
	var b strings.Builder
	b.WriteString("ls -l /config\n")
	filepath.WalkDir(filepath.Join(root, s.treeDir()), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			b.WriteString("ls -l /config/" + rel + "\n")
		}
		return err
	})
	return b.String()
}
