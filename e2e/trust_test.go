package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
)

const trustConfig = `trust:
  git:
    allowed_signers: /etc/berth/allowed_signers
  max_age: 24h
`

// TestSignedRevisions: with trust.git.allowed_signers set, only heads
// signed by a listed key are applied. Unsigned heads, heads signed by
// another key, host trees escaping through symlinks and replays of older
// commits after the state file was lost are refused before anything is
// built, and the running system, the profile and the boot entry stay.
func TestSignedRevisions(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), trustConfig)
	alice, mallory := newSigningKey(t, "alice@example.com"), newSigningKey(t, "mallory@example.com")
	f.write("/etc/berth/allowed_signers", "# fleet admins\n"+alice.line, 0o644)
	refused := func(t *testing.T, before system, commit string, words ...string) {
		t.Helper()
		calls := f.nixCalls()
		out := f.run(1)
		if s := f.system(); s != before {
			t.Fatalf("system changed: got %+v, want %+v", s, before)
		}
		if f.nixCalls() != calls {
			t.Errorf("nix ran for a refused commit")
		}
		st := f.status().State
		if st.Rejected == nil || !strings.Contains(st.Rejected.Revision, commit) {
			t.Fatalf("rejected %+v, want commit %s\n%s", st.Rejected, commit, out)
		}
		for _, w := range append(words, commit) {
			if !strings.Contains(st.Rejected.Reason, w) {
				t.Errorf("rejection %q does not say %q", st.Rejected.Reason, w)
			}
		}
	}
	base := f.system()
	t.Run("unsigned commit refused", func(t *testing.T) {
		f.t = t
		refused(t, base, f.repo.RemoteHead(), "not signed", "/etc/berth/allowed_signers")
	})
	var good system
	var goodCommit string
	t.Run("signed commit applied", func(t *testing.T) {
		f.t = t
		f.signWith(alice)
		h := alphaV1()
		h.Units["signed.service"] = fixture.SleepService("signed")
		goodCommit = f.push(h, "alpha: signed by alice")
		f.run(0)
		good = f.system()
		if good == base || good.current != good.profile || good.boot != good.current || !f.active("signed.service") {
			t.Fatalf("got %+v (signed.service active %v), want the signed system running and booted", good, f.active("signed.service"))
		}
		ts := f.trustStatus()
		if a := ts.State.Applied; a == nil || a.Commit != goodCommit || !strings.Contains(a.Signer, "alice@example.com") || !strings.Contains(a.Signer, alice.fingerprint(t)) {
			t.Errorf("status applied %+v, want commit %s signed by alice", a, goodCommit)
		}
		if txt := f.statusText(); !strings.Contains(txt, "signed by") {
			t.Errorf("berth status does not show the signer:\n%s", txt)
		}
	})
	t.Run("unknown key refused", func(t *testing.T) {
		f.t = t
		f.signWith(mallory)
		h := alphaV1()
		h.Units["evil.service"] = fixture.SleepService("evil")
		c := f.push(h, "alpha: signed by mallory")
		refused(t, good, c, mallory.fingerprint(t), "not trusted")
		if f.active("evil.service") {
			t.Errorf("evil.service runs")
		}
	})
	for _, esc := range []struct{ name, target string }{
		{"absolute symlink escape refused", "/etc/shadow"},
		{"relative symlink escape refused", "../../../etc/shadow"},
	} {
		t.Run(esc.name, func(t *testing.T) {
			f.t = t
			f.signWith(alice)
			fixture.PutHost(t, f.repo, alphaV1())
			f.repo.Symlink("hosts/alpha/files/etc/stolen", esc.target)
			c := f.repo.Commit("alpha: " + esc.name)
			f.repo.Push()
			refused(t, good, c, "hosts/alpha/files/etc/stolen")
			f.repo.Remove("hosts/alpha/files")
		})
	}
	t.Run("freshness judged from the signed commit time", func(t *testing.T) {
		f.t = t
		stale := func(want bool, when string) {
			t.Helper()
			if fr := f.trustStatus().Freshness; fr.Stale != want {
				t.Errorf("%s: got freshness %+v, want stale %v", when, fr, want)
			}
		}
		// Forget the times of the signed commits applied so far, as a
		// host set up today would know none; the lineage anchor stays.
		f.h.Run(t, "rm", "/var/lib/berth/state.json")
		f.signWith(alice)
		h := alphaV1()
		h.Units["signed.service"] = fixture.SleepService("signed")
		h.Units["old.service"] = fixture.SleepService("old")
		fixture.PutHost(t, f.repo, h)
		f.repo.CommitAt("alpha: signed, dated three days ago", time.Now().Add(-72*time.Hour))
		f.repo.Push()
		f.run(0)
		stale(true, "a signed commit made 3 days ago applied now, max_age 24h")
		f.signWith(sshSigningKey{})
		h.Units["unsigned.service"] = fixture.SleepService("unsigned")
		c := f.push(h, "alpha: unsigned push")
		f.run(1)
		if st := f.status().State; st.Rejected == nil || !strings.Contains(st.Rejected.Revision, c) {
			t.Fatalf("the unsigned push was not refused: %+v", st.Rejected)
		}
		stale(true, "after a refused unsigned push")
		f.signWith(alice)
		delete(h.Units, "unsigned.service")
		h.Units["now.service"] = fixture.SleepService("now")
		f.push(h, "alpha: signed now")
		f.run(0)
		stale(false, "after a signed commit made now")
	})
	t.Run("older commit refused after the state file was lost", func(t *testing.T) {
		f.t = t
		f.signWith(alice)
		h := alphaV1()
		h.Units["newer.service"] = fixture.SleepService("newer")
		f.push(h, "alpha: newer")
		f.run(0)
		newer := f.system()
		f.repo.ResetHard(goodCommit)
		f.repo.ForcePush()
		f.h.Run(t, "rm", "/var/lib/berth/state.json")
		out := f.run(1)
		if s := f.system(); s != newer {
			t.Fatalf("system changed: got %+v, want %+v", s, newer)
		}
		if !strings.Contains(out, "does not descend") {
			t.Errorf("berth run said %q, want a refusal naming the lineage", out)
		}
	})
	t.Run("no token in state, history or status; state root-only", func(t *testing.T) {
		f.t = t
		f.noSecretsLeak(t)
	})
}

// noSecretsLeak checks that the fleet's token appears nowhere berth
// writes or prints, and that its state is root-only.
func (f *fleetHost) noSecretsLeak(t *testing.T) {
	t.Helper()
	out, _ := f.h.Exec(t.Context(), "sh", "-c", "grep -rl "+fleetToken+" /var/lib/berth /run/berth 2>/dev/null; true")
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("the token is written in %s", s)
	}
	for _, txt := range []string{f.statusText(), f.h.Run(t, "berth", "history")} {
		if strings.Contains(txt, fleetToken) {
			t.Errorf("the token is printed:\n%s", txt)
		}
	}
	modes := f.h.Run(t, "stat", "-c", "%a %n", "/var/lib/berth", "/var/lib/berth/state.json", "/var/lib/berth/lineage", "/var/lib/berth/history", "/var/lib/berth/stage")
	for _, line := range strings.Split(strings.TrimSpace(modes), "\n") {
		if mode, _, _ := strings.Cut(line, " "); mode != "700" && mode != "600" {
			t.Errorf("got %q, want mode 700 or 600", line)
		}
	}
}

func (f *fleetHost) trustStatus() trustState {
	f.t.Helper()
	out, code := f.berth("status", "--json")
	if code != 0 {
		f.t.Fatalf("berth status --json: exit %d\n%s", code, out)
	}
	var s trustState
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		f.t.Fatalf("berth status --json: %v\n%s", err, out)
	}
	return s
}
