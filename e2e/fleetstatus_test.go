package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/e2e/testhost"
	"github.com/berth-nix/berth/internal/testserver"
)

// fleetSecret is alpha's files/ secret; finding it in a report or an
// uploaded log would be a leak.
const fleetSecret = "berth-e2e-fleet-secret-9d1e47"

// fleetRig is one test host that plays three hosts of an SFTP-fed fleet,
// one after another: each has its own configuration, state directory,
// control socket and chrooted account, and each report comes from a real
// `berth run` of the same binary. Their activations replace each other's
// systems, so the steps are ordered to leave alpha's last word standing.
type fleetRig struct {
	*fleetHost
	sftp    *testserver.SFTP
	chroots string
	signer  sshSigningKey
}

var fleetHosts = []string{"alpha", "beta", "gamma"}

func fleetUser(host string) string { return "berth-e2e-" + host }

func newFleetRig(t *testing.T) *fleetRig {
	testhost.Require(t)
	bin := berthBinary(t)
	alpha := alphaV1()
	repo := fixture.Fleet(t, alpha, fixture.Host{Name: "beta", Units: map[string]string{"beta.service": fixture.SleepService("beta")}},
		fixture.Host{Name: "gamma", Units: map[string]string{"gamma.service": fixture.SleepService("gamma")}})
	repo.WriteFile(fixture.HostDir("alpha")+"/files/etc/fleet-secret", fleetSecret+"\n")
	users := []string{fleetUser("alpha"), fleetUser("beta"), fleetUser("gamma")}
	r := &fleetRig{fleetHost: &fleetHost{t: t, repo: repo}, sftp: testserver.StartSFTP(t, users...), chroots: t.TempDir(),
		signer: newSigningKey(t, "admin@example.com")}
	r.h = testhost.Boot(t)
	r.base = fixture.InstallBaseOn(t, r.h, fixture.Host{Name: "alpha", Units: map[string]string{"base.service": fixture.SleepService("base")}})
	if err := r.h.CopyIn(bin, "/usr/local/bin/berth"); err != nil {
		t.Fatal(err)
	}
	r.write("/etc/berth/known_hosts", r.readLocal(r.sftp.KnownHostsPath()), 0o644)
	r.write("/etc/berth/allowed_signers", strings.Replace(r.signer.line, `namespaces="git"`, `namespaces="berth-manifest"`, 1), 0o644)
	for _, h := range fleetHosts {
		if err := os.Symlink(r.sftp.ChrootDir(fleetUser(h)), filepath.Join(r.chroots, h)); err != nil {
			t.Fatal(err)
		}
		r.write("/etc/berth/"+h+"/sftp_key", r.readLocal(r.sftp.ClientKeyPath(fleetUser(h))), 0o600)
		r.write("/etc/berth/"+h+".yaml", r.hostConfig(h), 0o600)
	}
	return r
}

func (r *fleetRig) hostConfig(host string) string {
	return fmt.Sprintf(`hostname: %[1]s
state_dir: /var/lib/berth-%[1]s
source:
  sftp:
    address: %[2]s
    user: %[3]s
    ssh_key_file: /etc/berth/%[1]s/sftp_key
    known_hosts_file: /etc/berth/known_hosts
trust:
  sftp:
    allowed_signers: /etc/berth/allowed_signers
control:
  socket: /run/berth/%[1]s.sock
schedule:
  cron: "@every 1h"
  jitter: 0s
activation:
  settle: 1s
  test_timeout: 30s
`, host, r.sftp.Addr(), fleetUser(host))
}

func (r *fleetRig) readLocal(p string) string {
	r.t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(data)
}

// publish runs the admin's `berth publish --sign-key` over the fleet.
func (r *fleetRig) publish() {
	r.t.Helper()
	cmd := exec.Command(berthBinary(r.t), "publish", "--fleet", r.repo.WorkDir(), "--chroots", r.chroots, "--sign-key", r.signer.path)
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("berth publish: %v\n%s", err, out)
	}
}

// runAs runs one reconcile as host inside the test host.
func (r *fleetRig) runAs(host string, want int) {
	r.t.Helper()
	cfg := "/etc/berth/" + host + ".yaml"
	if out, code := r.berth("--config", cfg, "run"); code != want {
		status, _ := r.berth("--config", cfg, "status")
		r.t.Fatalf("%s: berth run: got exit %d, want %d\n%s\nstatus:\n%s", host, code, want, out, status)
	}
}

// fleetStatus runs `berth fleet status` on the server side.
func (r *fleetRig) fleetStatus(args ...string) string {
	r.t.Helper()
	args = append([]string{"fleet", "status", "--reports", r.chroots, "--repo", r.repo.WorkDir()}, args...)
	out, err := exec.Command(berthBinary(r.t), args...).CombinedOutput()
	if err != nil {
		r.t.Fatalf("berth %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// uploaded lists alpha's reports/ directory on the server.
func (r *fleetRig) uploaded(host string) map[string]string {
	r.t.Helper()
	dir := filepath.Join(r.sftp.ChrootDir(fleetUser(host)), "reports")
	ents, err := os.ReadDir(dir)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		out[e.Name()] = r.readLocal(filepath.Join(dir, e.Name()))
	}
	return out
}

// TestFleetStatusOverSFTP: three SFTP-fed hosts report into their chroots
// after real reconciles — gamma applies its configuration, beta applies
// its own and then has it changed without polling again, alpha applies a
// good one and reverts a bad one — and `berth fleet status` over the
// chroots and the fleet directory shows one up to date, one pending and
// one reverted, in text and JSON. Alpha's uploaded logs tell its story
// and nothing uploaded holds its files/ secret.
func TestFleetStatusOverSFTP(t *testing.T) {
	t.Parallel()
	r := newFleetRig(t)
	r.publish()
	r.runAs("gamma", 0)
	r.runAs("beta", 0)
	r.runAs("alpha", 0)
	good := r.system()
	bad := alphaV1()
	bad.Units["broken.service"] = fixture.FailingService("broken")
	fixture.PutHost(t, r.repo, bad)
	fixture.PutHost(t, r.repo, fixture.Host{Name: "beta", Units: map[string]string{"beta2.service": fixture.SleepService("beta2")}})
	r.publish()
	r.runAs("alpha", 4)
	if s := r.system(); s != good {
		t.Fatalf("after alpha's revert got %+v, want %+v", s, good)
	}

	t.Run("text", func(t *testing.T) {
		r.t = t
		out := r.fleetStatus()
		t.Logf("berth fleet status:\n%s", out)
		for host, state := range map[string]string{"alpha": "reverted", "beta": "pending", "gamma": "up-to-date"} {
			if !strings.Contains(out, "\n"+host+" ") || !lineHas(out, host, state) {
				t.Errorf("%s: want state %s in\n%s", host, state, out)
			}
		}
		if !lineHas(out, "alpha", "broken.service") || strings.Contains(out, "bad:") {
			t.Errorf("want alpha's error naming broken.service and no bad files in\n%s", out)
		}
	})
	t.Run("json", func(t *testing.T) {
		r.t = t
		var v struct {
			Hosts []struct {
				Host, State   string
				AppliedSigner string `json:"applied_signer"`
			}
			Bad []any
		}
		out := r.fleetStatus("--json")
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("--json: %v\n%s", err, out)
		}
		got := map[string]string{}
		for _, h := range v.Hosts {
			got[h.Host] = h.State
			if !strings.Contains(h.AppliedSigner, "admin@example.com") {
				t.Errorf("%s: applied signer %q, want the admin's key", h.Host, h.AppliedSigner)
			}
		}
		if fmt.Sprint(got) != "map[alpha:reverted beta:pending gamma:up-to-date]" || len(v.Bad) != 0 {
			t.Errorf("got %v (bad %v), want alpha reverted, beta pending, gamma up-to-date", got, v.Bad)
		}
	})
	t.Run("alpha's uploads", func(t *testing.T) {
		r.t = t
		checkAlphaUploads(t, r.uploaded("alpha"))
		for _, h := range fleetHosts {
			for name, content := range r.uploaded(h) {
				if strings.Contains(content, fleetSecret) {
					t.Errorf("%s: reports/%s holds alpha's files/ secret", h, name)
				}
			}
		}
	})
}

// checkAlphaUploads: the report names the reverted attempt and its
// signer; one log per attempt, the last one telling of the revert.
func checkAlphaUploads(t *testing.T, files map[string]string) {
	var rep struct {
		Host     string
		Result   string
		Rejected *struct{ Signer, Phase string }
		Attempt  *struct{ ID, Result string }
	}
	if err := json.Unmarshal([]byte(files["report.json"]), &rep); err != nil {
		t.Fatalf("reports/report.json: %v\n%s", err, files["report.json"])
	}
	if rep.Host != "alpha" || rep.Result != "reverted" || rep.Attempt == nil || rep.Rejected == nil ||
		!strings.Contains(rep.Rejected.Signer, "admin@example.com") {
		t.Fatalf("got report %+v, want alpha's reverted attempt with its signer", rep)
	}
	logs := 0
	for name := range files {
		if strings.HasSuffix(name, ".log") {
			logs++
		}
	}
	last := files[rep.Attempt.ID+".log"]
	if logs != 2 || !strings.Contains(last, "broken.service") || !strings.Contains(last, "reverting to") {
		t.Errorf("got %d logs, the last:\n%s\nwant 2, the last naming broken.service and the revert", logs, last)
	}
}

// lineHas reports whether the line of out that starts with host holds s.
func lineHas(out, host, s string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, host+" ") && strings.Contains(line, s) {
			return true
		}
	}
	return false
}
