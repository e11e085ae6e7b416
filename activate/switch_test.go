package activate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// lockedSwitcher stands in for systemd running switch-to-configuration
// while another switch holds the lock: its first refused switches print
// NixOS's lock error into the unit's log and exit 11, as the real one
// does; later ones succeed.
type lockedSwitcher struct {
	okSwitcher
	refuse int
}

func (s *lockedSwitcher) Switch(ctx context.Context, top, action, unit, logPath string, d time.Duration) (nixos.Outcome, error) {
	if s.refuse == 0 {
		return s.okSwitcher.Switch(ctx, top, action, unit, logPath, d)
	}
	s.refuse--
	s.calls = append(s.calls, "refused "+action+" "+top)
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nixos.Outcome{}, err
	}
	defer f.Close()
	f.WriteString("Could not acquire lock\n")
	return nixos.Outcome{Exists: true, Done: true, ExitCode: 11, Result: "exit-code"}, nil
}

func lockedHost(t *testing.T, refuse int, wait time.Duration) (*Activator, *lockedSwitcher, string) {
	dir := t.TempDir()
	sw := &lockedSwitcher{refuse: refuse}
	a := &Activator{Systemd: sw, LockPath: filepath.Join(dir, "switch.lock"), Policy: Policy{LockWait: wait, Poll: 10 * time.Millisecond}}
	return a, sw, filepath.Join(dir, "attempt.log")
}

// TestRefusedSwitchIsRetried: a switch refused because another one took
// the lock first changed nothing and is run again.
func TestRefusedSwitchIsRetried(t *testing.T) {
	a, sw, logPath := lockedHost(t, 2, time.Minute)
	o, err := a.switchTo(context.Background(), storeB, "test", "u", logPath, 0, nil)
	if err != nil || o.ExitCode != 0 {
		t.Fatalf("got %+v, %v; want the third switch to succeed", o, err)
	}
	if len(sw.calls) != 3 || sw.calls[2] != "test "+storeB {
		t.Errorf("switches %v, want two refused and one run", sw.calls)
	}
}

// TestTestPhaseRefusedByLock: when the lock stays taken beyond lock_wait,
// the attempt fails as transient in the test phase, saying nothing
// changed; nothing is reverted.
func TestTestPhaseRefusedByLock(t *testing.T) {
	a, sw, logPath := lockedHost(t, 100, 0)
	var log bytes.Buffer
	at := &attempt{a: a, j: nopJournal{}, log: &log, p: Progress{ID: "x", Toplevel: storeB, Previous: storeA, LogPath: logPath}}
	if next := at.test(context.Background()); next != done {
		t.Fatalf("next phase %q, want the attempt to end", next)
	}
	r := at.r
	if r.Outcome != Failed || r.Phase != PhaseTest || fault.ClassOf(r.Err) != fault.Transient || !strings.Contains(r.Err.Error(), "nothing was changed") {
		t.Errorf("got %s in %s: %v (class %v); want a transient failure in test saying nothing changed", r.Outcome, r.Phase, r.Err, fault.ClassOf(r.Err))
	}
	for _, c := range sw.calls {
		if strings.Contains(c, storeA) {
			t.Errorf("switches %v: the previous system was switched to", sw.calls)
		}
	}
}

// TestRefusedSwitchRunsAgainInSystemd: with real systemd, a switch whose
// first run is refused by the lock (NixOS's message and status) runs
// again in a unit of the same name, which the journal names, and its
// outcome is the second run's. Inside the test host only.
func TestRefusedSwitchRunsAgainInSystemd(t *testing.T) {
	a, p, calls := deadManHost(t, time.Minute)
	a.DeadMan, a.LockPath, a.Policy.LockWait = nil, filepath.Join(t.TempDir(), "switch.lock"), 30*time.Second
	stc := filepath.Join(p.Previous, "bin/switch-to-configuration")
	script := "#!/bin/sh\necho \"$1\" >> " + calls + "\n" +
		"if [ ! -e " + calls + ".refused ]; then touch " + calls + ".refused; echo 'Could not acquire lock' >&2; exit 11; fi\n"
	if err := os.WriteFile(stc, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	o, err := a.switchTo(context.Background(), p.Previous, "test", unitName("test", p.ID), p.LogPath, 30*time.Second, nil)
	if err != nil || o.ExitCode != 0 || !o.Done {
		t.Fatalf("got %+v, %v; want the second run's success", o, err)
	}
	if got, _ := os.ReadFile(calls); string(got) != "test\ntest\n" {
		t.Errorf("switch-to-configuration ran with %q, want test twice", got)
	}
}
