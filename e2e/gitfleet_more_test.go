package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
)

// TestGitFleetBadInput: repository content that cannot become a system
// is refused before anything is activated, and the preflight policy and
// someone else's switch are respected.
func TestGitFleetBadInput(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "")
	f.run(0)
	good := f.system()
	steps := []struct {
		name   string
		change func()
		phase  string
	}{
		{"broken flake.nix", func() { f.repo.WriteFile("hosts/alpha/flake.nix", "{ this is not nix") }, "build"},
		{"missing host directory", func() { f.repo.Remove("hosts/alpha") }, "fetch"},
		{"missing flake attribute", func() {
			// alpha's directory holds a flake that defines only gamma.
			h := alphaV1()
			h.Name = "gamma"
			dir := t.TempDir()
			if err := fixture.WriteHost(dir, h); err != nil {
				t.Fatal(err)
			}
			f.repo.WriteFile("hosts/alpha/flake.nix", readFile(t, dir+"/flake.nix"))
		}, "build"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			f.t = t
			s.change()
			commit := f.repo.Commit(s.name)
			f.repo.Push()
			out := f.run(1)
			if sys := f.system(); sys != good {
				t.Errorf("system changed: got %+v, want %+v", sys, good)
			}
			st := f.status().State
			if st.Rejected == nil || !strings.Contains(st.Rejected.Revision, commit) || st.Rejected.Phase != s.phase {
				t.Errorf("rejected %+v, want commit %s in phase %s\n%s", st.Rejected, commit, s.phase, out)
			}
			f.run(3) // not tried again
			f.repo.Remove("hosts/alpha")
			fixture.PutHost(t, f.repo, alphaV1())
			f.repo.Commit("alpha: restore")
			f.repo.Push()
			f.run(3) // the restored directory is the applied one: nothing to do
		})
	}
	t.Run("baseline preflight ignores a unit that failed before", func(t *testing.T) {
		f.t = t
		if _, err := f.h.Exec(t.Context(), "systemd-run", "--unit=prefailed.service", "--wait", "/bin/false"); err == nil {
			t.Fatal("systemd-run /bin/false succeeded")
		}
		h := alphaV1()
		h.Units["extra.service"] = fixture.SleepService("extra")
		f.push(h, "alpha: extra")
		// The emulator exits 4 here, counting prefailed.service, as the
		// real switch-to-configuration does.
		f.run(0)
		if !f.active("extra.service") {
			t.Errorf("extra.service not active")
		}
		good = f.system()
	})
	t.Run("strict preflight refuses while a unit has failed", func(t *testing.T) {
		f.t = t
		f.write("/etc/berth/config.yaml", strings.Replace(f.config(), "activation:\n", "activation:\n  preflight: strict\n", 1), 0o600)
		h := alphaV1()
		h.Units["strict.service"] = fixture.SleepService("strict")
		f.push(h, "alpha: strict")
		out := f.run(1)
		if !strings.Contains(out, "prefailed.service") || f.system() != good {
			t.Errorf("strict preflight did not refuse naming prefailed.service, or the system changed:\n%s", out)
		}
		f.h.Run(t, "systemctl", "reset-failed", "prefailed.service")
		f.run(0)
		if !f.active("strict.service") {
			t.Errorf("strict.service not active after the failure was cleared")
		}
	})
	t.Run("waits for another switch-to-configuration", func(t *testing.T) {
		f.t = t
		holder := f.h.Command(t.Context(), "flock", "/run/nixos/switch-to-configuration.lock", "sleep", "5")
		if err := holder.Start(); err != nil {
			t.Fatal(err)
		}
		defer holder.Wait()
		time.Sleep(500 * time.Millisecond)
		h := alphaV1()
		h.Units["after-lock.service"] = fixture.SleepService("after lock")
		f.push(h, "alpha: after lock")
		start := time.Now()
		out := f.run(0)
		if time.Since(start) < 3*time.Second {
			t.Errorf("berth did not wait for the lock (took %s)", time.Since(start))
		}
		if log := f.h.Run(t, "sh", "-c", "cat /var/lib/berth/history/*.log"); !strings.Contains(log, "another switch-to-configuration holds") {
			t.Errorf("attempt log does not say it waited:\n%s", out)
		}
	})
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRebootNeeded: a new kernel is applied like anything else, and
// berth status says the machine needs a reboot for it.
func TestRebootNeeded(t *testing.T) {
	t.Parallel()
	f := newFleetHost(t, alphaV1(), "")
	f.run(0)
	if out := f.statusText(); strings.Contains(out, "reboot needed") {
		t.Fatalf("reboot needed with the booted kernel:\n%s", out)
	}
	h := alphaV1()
	h.Kernel = "6.7.0-fixture"
	f.push(h, "alpha: new kernel")
	f.run(0)
	if out := f.statusText(); !strings.Contains(out, "reboot needed") || !strings.Contains(out, "kernel") {
		t.Errorf("berth status does not say a reboot is needed for the new kernel:\n%s", out)
	}
	hist, _ := f.berth("history", "--json")
	if !strings.Contains(hist, `"reboot_needed": true`) {
		t.Errorf("history does not record reboot_needed:\n%s", hist)
	}
}
