package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/source/publish"
)

// sftpUser is the bench host's account on the SFTP server.
const (
	sftpUser = "berth-bench1"
	sftpHost = "h001"
)

// sftpFleet is a chrooted SFTP server with one host published by berth
// publish: a fixture host whose files/ tree holds n files of 2 KiB in
// directories of 100, reached through a counting proxy.
type sftpFleet struct {
	t       *testing.T
	srv     *testserver.SFTP
	px      *proxy
	known   string
	fleet   string
	chroots string
	n       int
}

func newSFTPFleet(t *testing.T, n int) *sftpFleet {
	s := &sftpFleet{t: t, srv: testserver.StartSFTP(t, sftpUser), fleet: t.TempDir(), chroots: t.TempDir(), n: n}
	must(t, os.Symlink(s.srv.ChrootDir(sftpUser), filepath.Join(s.chroots, sftpHost)), "chroot link")
	s.px = startProxy(t, s.srv.Addr())
	s.known = proxyKnownHosts(t, s.srv.KnownHostsPath(), s.srv.Port(), s.px.Port())
	must(t, fixture.WriteHost(s.hostDir(), fixture.Host{Name: sftpHost}), "write host")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		s.writeFile(i, rng)
	}
	s.publish()
	return s
}

func (s *sftpFleet) hostDir() string { return filepath.Join(s.fleet, "hosts", sftpHost) }

// filePath is where file i of the files/ tree lives.
func (s *sftpFleet) filePath(i int) string {
	return filepath.Join(s.hostDir(), "files", fmt.Sprintf("d%02d", i/100), fmt.Sprintf("f%04d", i))
}

// writeFile gives file i new random content.
func (s *sftpFleet) writeFile(i int, rng *rand.Rand) {
	p := s.filePath(i)
	must(s.t, os.MkdirAll(filepath.Dir(p), 0o755), "files dir")
	buf := make([]byte, 2048)
	for j := range buf {
		buf[j] = byte(rng.Uint32())
	}
	must(s.t, os.WriteFile(p, buf, 0o644), "file")
}

// publish runs berth publish for the host and stamps last_change_date,
// bento's change marker, beside it.
func (s *sftpFleet) publish() {
	res, err := publish.Run(context.Background(), publish.Options{Fleet: s.fleet, Chroots: s.chroots, Hosts: []string{sftpHost}})
	must(s.t, err, "publish")
	if res[0].Action == publish.Failed {
		s.t.Fatalf("publish: %s", res[0].Reason)
	}
	stamp := filepath.Join(s.srv.ChrootDir(sftpUser), "config", "last_change_date")
	must(s.t, os.WriteFile(stamp, []byte(res[0].Revision+"\n"), 0o644), "stamp")
}

// probeConfig is berth's SFTP source configuration with fresh state.
func (s *sftpFleet) probeConfig() probeConfig {
	dir := s.t.TempDir()
	return probeConfig{SFTP: map[string]any{
		"Address": s.px.Addr(), "User": sftpUser, "SSHKeyFile": s.srv.ClientKeyPath(sftpUser),
		"KnownHostsFile": s.known, "Host": sftpHost,
		"StateDir": filepath.Join(dir, "state"), "StageDir": filepath.Join(dir, "stage"),
	}}
}

// sftp is the OpenSSH sftp client running batch, through the proxy.
func (s *sftpFleet) sftp(dir, batch string) *exec.Cmd {
	f := filepath.Join(s.t.TempDir(), "batch")
	must(s.t, os.WriteFile(f, []byte(batch), 0o600), "batch file")
	args := sshOpts("sftp", s.srv.ClientKeyPath(sftpUser), s.known)
	args = append(args, "-q", "-P", strconv.Itoa(s.px.Port()), "-b", f, sftpUser+"@127.0.0.1")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	return cmd
}

// metered runs op and adds what the proxy saw meanwhile.
func (s *sftpFleet) metered(op func() sample) sample {
	s.px.take()
	out := op()
	w := s.px.take()
	out.Up, out.Down, out.Turns, out.Conns = w.Up, w.Down, w.Turns, w.Conns
	return out
}
