package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/e2e/testhost"
	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/source/publish"
)

// sftpUser is alpha's account on the test SFTP server.
const sftpUser = "berth-e2e-alpha"

// sftpHost is a test host that follows its chroot on a real chrooted
// sshd, fed by `berth publish` run over a fleet directory.
type sftpHost struct {
	*fleetHost
	sftp    *testserver.SFTP
	chroots string
}

// newSFTPHost boots a host named alpha in a fleet of alpha and beta,
// publishes the fleet into alpha's chroot and points berth (installed,
// not running) at the SFTP server.
func newSFTPHost(t *testing.T, alpha fixture.Host, configExtra string) *sftpHost {
	testhost.Require(t)
	repo := fixture.Fleet(t, alpha, fixture.Host{Name: "beta", Units: map[string]string{"beta.service": fixture.SleepService("beta")}})
	f := &sftpHost{fleetHost: &fleetHost{t: t, repo: repo, extra: configExtra}, sftp: testserver.StartSFTP(t, sftpUser), chroots: t.TempDir()}
	if err := os.Symlink(f.sftp.ChrootDir(sftpUser), filepath.Join(f.chroots, "alpha")); err != nil {
		t.Fatal(err)
	}
	f.publishFleet()
	f.h, f.base = bootInstalled(t)
	for src, dst := range map[string]string{f.sftp.ClientKeyPath(sftpUser): "/etc/berth/sftp_key", f.sftp.KnownHostsPath(): "/etc/berth/known_hosts"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		f.write(dst, string(data), 0o600)
	}
	f.write("/etc/berth/config.yaml", f.config(), 0o600)
	return f
}

func (f *sftpHost) config() string {
	return fmt.Sprintf(`hostname: alpha
source:
  sftp:
    address: %s
    user: %s
    ssh_key_file: /etc/berth/sftp_key
    known_hosts_file: /etc/berth/known_hosts
%s%s`, f.sftp.Addr(), sftpUser, agentSettings, f.extra)
}

// publish writes h into the fleet directory and publishes the fleet.
func (f *sftpHost) publish(h fixture.Host) []publish.Result {
	f.t.Helper()
	fixture.PutHost(f.t, f.repo, h)
	return f.publishFleet()
}

// publishFleet runs the admin's publish over the fleet's work tree.
func (f *sftpHost) publishFleet() []publish.Result {
	f.t.Helper()
	res, err := publish.Run(context.Background(), publish.Options{Fleet: f.repo.WorkDir(), Chroots: f.chroots})
	if err != nil {
		f.t.Fatalf("publish: %v", err)
	}
	for _, r := range res {
		if r.Action == publish.Failed || r.Action == publish.Refused {
			f.t.Fatalf("publish %s: %s: %s", r.Host, r.Action, r.Reason)
		}
	}
	return res
}

// TestSFTPFleet walks an SFTP-fed host through first deploy, a bad
// publish that is reverted and not retried, a fix, another host's
// publish and a server outage, asserting on the host's real state each
// time.
func TestSFTPFleet(t *testing.T) {
	t.Parallel()
	f := newSFTPHost(t, alphaV1(), "")
	var good system
	t.Run("first deploy", func(t *testing.T) {
		f.t = t
		f.repo.WriteFile("hosts/alpha/files/etc/sftp-motd", "delivered over sftp\n")
		f.publishFleet()
		before := f.system()
		f.run(0)
		s := f.system()
		if got := f.h.Run(t, "cat", "/etc/sftp-motd"); got != "delivered over sftp\n" {
			t.Errorf("got /etc/sftp-motd %q, want the published files tree installed", got)
		}
		if s.current == before.current || s.current != s.profile || s.boot != s.current {
			t.Fatalf("got %+v (before %+v), want current = profile = boot entry = the new system", s, before)
		}
		if !f.active("hello.service") {
			t.Errorf("hello.service is not active")
		}
		st := f.status()
		if st.State.Applied == nil || !strings.HasPrefix(st.State.Applied.Revision, "sftp@sha256:") || st.State.Applied.Toplevel != s.current {
			t.Errorf("status applied %+v, want an sftp@sha256: revision running %s", st.State.Applied, s.current)
		}
		good = s
	})
	t.Run("bad publish reverted and not retried", func(t *testing.T) {
		f.t = t
		bad := alphaV1()
		bad.Units["broken.service"] = fixture.FailingService("broken")
		f.publish(bad)
		f.run(4)
		if s := f.system(); s != good {
			t.Fatalf("after revert got %+v, want %+v", s, good)
		}
		if !f.active("hello.service") || f.active("broken.service") {
			t.Errorf("hello active %v, broken active %v; want the previous units back", f.active("hello.service"), f.active("broken.service"))
		}
		if st := f.status(); st.State.Rejected == nil || !strings.Contains(st.State.Rejected.Reason, "broken.service") {
			t.Errorf("status rejected %+v, want broken.service named", st.State.Rejected)
		}
		calls := f.nixCalls()
		f.run(3)
		if f.nixCalls() != calls {
			t.Errorf("the rejected configuration was built again")
		}
	})
	t.Run("fix applied", func(t *testing.T) {
		f.t = t
		fixed := alphaV1()
		fixed.Units["third.service"] = fixture.SleepService("third")
		f.publish(fixed)
		f.run(0)
		if !f.active("third.service") || f.active("broken.service") {
			t.Errorf("third active %v, broken active %v; want the fix running", f.active("third.service"), f.active("broken.service"))
		}
		good = f.system()
	})
	t.Run("another host's publish costs nothing", func(t *testing.T) {
		f.t = t
		calls := f.nixCalls()
		res := f.publish(fixture.Host{Name: "beta", Units: map[string]string{"beta2.service": fixture.SleepService("beta2")}})
		for _, r := range res {
			if r.Host == "alpha" && r.Action != publish.Unchanged {
				t.Errorf("alpha: got %s, want unchanged", r.Action)
			}
		}
		f.run(3)
		if got := f.nixCalls(); got != calls {
			t.Errorf("got %d nix invocations, want %d (none)", got, calls)
		}
	})
	t.Run("server down: nothing changes", func(t *testing.T) {
		f.t = t
		f.sftp.Stop()
		f.run(1)
		if s := f.system(); s != good {
			t.Errorf("system changed while the server was down: %+v", s)
		}
		if st := f.status(); st.State.FetchFailures != 1 {
			t.Errorf("got %d fetch failures, want 1", st.State.FetchFailures)
		}
	})
}
