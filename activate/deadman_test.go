package activate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/nixos"
)

// These tests need a real systemd as PID 1 and run only inside the e2e
// test host (BERTH_IN_TESTHOST=1).

// deadManHost returns an Activator with a dead-man switch of window and a
// fake previous system whose switch-to-configuration records each call
// in the file it returns.
func deadManHost(t *testing.T, window time.Duration) (*Activator, Progress, string) {
	t.Helper()
	testenv.InHost(t)
	sd, err := nixos.ConnectSystemd(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sd.Close)
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	stc := filepath.Join(dir, "previous/bin/switch-to-configuration")
	os.MkdirAll(filepath.Dir(stc), 0o755)
	script := "#!/bin/sh\necho \"$1\" >> " + calls + "\n"
	if err := os.WriteFile(stc, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	id := strings.ReplaceAll(t.Name(), "/", "-") + time.Now().Format("150405.000")
	id = strings.ReplaceAll(id, ".", "")
	a := &Activator{Systemd: sd, Policy: Policy{Poll: 100 * time.Millisecond},
		DeadMan: &DeadMan{Conn: sd.Conn(), Window: window, Timeout: 30 * time.Second}}
	p := Progress{ID: id, Previous: filepath.Join(dir, "previous"), LogPath: filepath.Join(dir, "attempt.log")}
	t.Cleanup(func() {
		a.Systemd.Release(context.Background(), deadManTimer(id))
		a.Systemd.Release(context.Background(), deadManService(id))
	})
	return a, p, calls
}

func TestDeadManFires(t *testing.T) {
	a, p, calls := deadManHost(t, 2*time.Second)
	ctx := context.Background()
	if err := a.armDeadMan(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	waitFile(t, calls, 15*time.Second)
	if got, _ := os.ReadFile(calls); string(got) != "test\n" {
		t.Errorf("previous system's switch-to-configuration called with %q, want test", got)
	}
	err := a.verify(ctx, p, nil, &Result{})
	if !errors.Is(err, ErrDeadManFired) || fault.ClassOf(err) != fault.Stalling {
		t.Errorf("verify after the switch fired: got %v, want ErrDeadManFired (stalling)", err)
	}
	if o, _ := a.Systemd.UnitOutcome(ctx, deadManService(p.ID)); o.Exists && o.ActiveState != "inactive" {
		t.Errorf("dead-man service left behind: %s", o)
	}
}

func TestDeadManDisarmed(t *testing.T) {
	a, p, calls := deadManHost(t, 2*time.Second)
	ctx := context.Background()
	if err := a.armDeadMan(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.verify(ctx, p, nil, &Result{}); err != nil {
		t.Fatalf("verify before the window: got %v, want nil", err)
	}
	time.Sleep(4 * time.Second)
	if _, err := os.Stat(calls); !os.IsNotExist(err) {
		t.Errorf("the disarmed dead-man switch ran the previous system (%v)", err)
	}
	if o, _ := a.Systemd.UnitOutcome(ctx, deadManTimer(p.ID)); o.Exists && o.ActiveState != "inactive" {
		t.Errorf("timer still loaded after disarming: %s", o)
	}
}

// TestDeadManStopsHungTest: when the switch hangs, the dead-man revert
// stops the test unit first, since the hung switch holds the lock.
func TestDeadManStopsHungTest(t *testing.T) {
	a, p, calls := deadManHost(t, 2*time.Second)
	ctx := context.Background()
	sd := a.Systemd.(*nixos.Systemd)
	test := unitName("test", p.ID)
	if err := sd.StartTransient(ctx, nixos.Unit{Name: test, Argv: []string{"/bin/sleep", "infinity"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sd.Release(context.Background(), test) })
	if err := a.armDeadMan(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	waitFile(t, calls, 15*time.Second)
	if o, _ := sd.UnitOutcome(ctx, test); o.Running {
		t.Errorf("test unit still running after the dead-man revert: %s", o)
	}
	if err := a.disarmDeadMan(ctx, p, nil); !errors.Is(err, ErrDeadManFired) {
		t.Errorf("disarm after firing: got %v, want ErrDeadManFired", err)
	}
}

func waitFile(t *testing.T, path string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not written within %s: the dead-man switch did not fire", path, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
