package health

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// These tests need a real systemd as PID 1 and run only inside the
// e2e test host (BERTH_IN_TESTHOST=1).

func connect(t *testing.T) *sd.Conn {
	t.Helper()
	if os.Getenv("BERTH_IN_TESTHOST") != "1" {
		t.Skip("needs systemd: runs inside the test host (BERTH_IN_TESTHOST=1)")
	}
	conn, err := sd.NewWithContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	return conn
}

// failUnit makes a transient unit fail with systemd-run, as a broken
// service would, and removes it when the test ends.
func failUnit(t *testing.T, name string) {
	t.Helper()
	out, err := exec.Command("systemd-run", "--unit", name, "--wait", "/bin/false").CombinedOutput()
	if err == nil {
		t.Fatalf("systemd-run /bin/false succeeded: %s", out)
	}
	t.Cleanup(func() { exec.Command("systemctl", "reset-failed", name).Run() })
}

func TestFailedUnitsAndState(t *testing.T) {
	conn := connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	baseline, err := FailedUnits(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	failUnit(t, "health-test-broken.service")
	failUnit(t, "berth-test-attempt.service")
	now, err := FailedUnits(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(now) || !slices.Contains(now, "health-test-broken.service") {
		t.Errorf("got %v, want a sorted list with health-test-broken.service", now)
	}
	got := NewFailures(baseline, now, IgnoreBerthUnits)
	if want := []string{"health-test-broken.service"}; !slices.Equal(got, want) {
		t.Errorf("NewFailures: got %v, want %v", got, want)
	}
	if state, err := settledState(ctx, conn); err != nil || state != "degraded" {
		t.Errorf("SystemState with a failed unit: got %q, %v, want degraded", state, err)
	}
	check := NoNewFailures{Conn: conn, Baseline: baseline, Ignore: IgnoreBerthUnits}
	if err := check.Run(ctx); err == nil {
		t.Errorf("NoNewFailures: got nil, want an error naming health-test-broken.service")
	}
	check.Baseline = now
	if err := check.Run(ctx); err != nil {
		t.Errorf("NoNewFailures against the current list: got %v, want nil", err)
	}
}

func TestUnitActive(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	if err := (UnitActive{Conn: conn, Unit: "dbus.service"}).Run(ctx); err != nil {
		t.Errorf("dbus.service: got %v, want nil", err)
	}
	if err := (UnitActive{Conn: conn, Unit: "no-such-unit.service"}).Run(ctx); err == nil {
		t.Errorf("no-such-unit.service: got nil, want an error")
	}
}

// settledState waits out boot, as `systemctl is-system-running --wait`
// does, since a host booted just before the test may still be starting.
func settledState(ctx context.Context, conn *sd.Conn) (string, error) {
	for {
		state, err := SystemState(ctx, conn)
		if err != nil || (state != "initializing" && state != "starting") {
			return state, err
		}
		select {
		case <-ctx.Done():
			return state, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
