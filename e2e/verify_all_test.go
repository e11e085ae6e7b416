package e2e

import (
	"strings"
	"testing"

	"github.com/berth-nix/berth/e2e/fixture"
)

// TestFilesOnlyChangeIsVerified: a commit that changes only the host's
// files tree, here an /etc/hosts that sends the git server's name
// elsewhere, passes the same verify phase as a new system. The
// reachability check fails, the previous /etc/hosts comes back, the
// revision is rejected, and the next commit is fetched and applied.
func TestFilesOnlyChangeIsVerified(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), `health:
  reachability:
    timeout: 4s
    interval: 1s
    deadline: 10s
`)
	f.reachByName(t)
	f.run(0)
	good, hosts := f.system(), f.h.Run(t, "cat", "/etc/hosts")

	t.Run("files-only change that cuts off the source is reverted", func(t *testing.T) {
		f.t = t
		putFiles(f, map[string]string{"etc/hosts": "127.0.0.1 localhost\n127.0.0.2 " + gitHostName + "\n"}, "/etc/hosts:\n  replace: true\n  mode: \"0644\"\n")
		f.push(alphaV1(), "alpha: /etc/hosts without the git server")
		f.run(4)
		if s := f.system(); s != good {
			t.Errorf("system after the files-only revert: got %+v, want %+v", s, good)
		}
		if got := f.h.Run(t, "cat", "/etc/hosts"); got != hosts {
			t.Errorf("/etc/hosts after the revert:\n%s\nwant the previous one:\n%s", got, hosts)
		}
		st := f.status().State
		if st.Last == nil || st.Last.Result != "reverted" || st.Last.Phase != "verify" {
			t.Errorf("status last %+v, want reverted in verify", st.Last)
		}
		if r := st.Rejected; r == nil || !strings.Contains(r.Reason, "source-reachable") {
			t.Errorf("status rejected %+v, want the reachability check named", st.Rejected)
		}
	})

	t.Run("the next commit is fetched and applied", func(t *testing.T) {
		f.t = t
		putFiles(f, map[string]string{"etc/motd.d/berth": "managed by berth\n"}, "")
		commit := f.push(alphaV1(), "alpha: a harmless file")
		f.run(0)
		f.expectFiles(map[string]string{"/etc/motd.d/berth": "root:root 644 managed by berth"})
		if got := f.h.Run(t, "cat", "/etc/hosts"); got != hosts {
			t.Errorf("/etc/hosts changed:\n%s", got)
		}
		st := f.status().State
		if st.Applied == nil || st.Applied.Commit != commit || st.Rejected != nil {
			t.Errorf("status applied %+v rejected %+v, want %s applied", st.Applied, st.Rejected, commit)
		}
		if s := f.system(); s != good {
			t.Errorf("system: got %+v, want %+v", s, good)
		}
	})
}

// otherSwitchCheck is a preflight check that, the first time it runs,
// makes another process take switch-to-configuration's lock for secs
// seconds: someone else's switch starting after berth's preflight looked
// at the lock and before berth's own switch.
func otherSwitchCheck(secs string) string {
	return `    - name: other-switch
      kind: command
      phase: preflight
      command:
        - /bin/sh
        - -c
        - 'test -e /run/other-switch-started && exit 0; touch /run/other-switch-started; mkdir -p /run/nixos; systemd-run --quiet --collect --unit=other-switch flock ` + fixture.SwitchLockPath + ` sleep ` + secs + `; until ! flock -n ` + fixture.SwitchLockPath + ` true; do sleep 0.1; done'
`
}

// TestSwitchLockTakenAfterPreflight: another switch takes the lock after
// berth's preflight. berth's switch waits for it instead of being refused
// and "reverting"; when the lock stays held beyond activation.lock_wait,
// the attempt fails as transient with nothing changed and nothing
// reverted, and the same revision is applied on the next run.
func TestSwitchLockTakenAfterPreflight(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "health:\n  checks:\n"+otherSwitchCheck("5"))
	f.run(0)
	t.Run("waits for the other switch", func(t *testing.T) {
		f.t = t
		next := alphaV1()
		next.Units["extra.service"] = fixture.SleepService("extra")
		f.h.Run(t, "rm", "-f", "/run/other-switch-started")
		commit := f.push(next, "alpha: an extra service")
		f.run(0)
		s := f.system()
		if st := f.status().State; st.Applied == nil || st.Applied.Commit != commit || s.boot != s.current || s.profile != s.current {
			t.Errorf("status applied %+v, system %+v; want %s applied and booted", st.Applied, s, commit)
		}
		if !f.active("extra.service") {
			t.Errorf("extra.service is not running")
		}
	})
	t.Run("lock held beyond lock_wait: transient, nothing reverted", func(t *testing.T) {
		f.t = t
		f.extra = "health:\n  checks:\n" + otherSwitchCheck("60")
		f.write("/etc/berth/config.yaml", strings.Replace(f.config(), "activation:\n", "activation:\n  lock_wait: 3s\n", 1), 0o600)
		before := f.system()
		next := alphaV1()
		next.Units["later.service"] = fixture.SleepService("later")
		f.h.Run(t, "rm", "-f", "/run/other-switch-started")
		commit := f.push(next, "alpha: a later service")
		out := f.run(1)
		if strings.Contains(out, "REVERT FAILED") {
			t.Errorf("berth run reports a failed revert:\n%s", out)
		}
		if s := f.system(); s != before {
			t.Errorf("system after the refused switch: got %+v, want %+v", s, before)
		}
		st := f.status().State
		if st.Rejected != nil || st.Last == nil || st.Last.Result != "failed" || !strings.Contains(st.Last.Error, "nothing was changed") {
			t.Errorf("status rejected %+v last %+v, want a transient failure saying nothing was changed", st.Rejected, st.Last)
		}
		f.h.Run(t, "systemctl", "stop", "other-switch.service")
		f.run(0)
		if st := f.status().State; st.Applied == nil || st.Applied.Commit != commit {
			t.Errorf("status applied %+v, want %s applied once the lock is free", st.Applied, commit)
		}
		if !f.active("later.service") {
			t.Errorf("later.service is not running")
		}
	})
}
