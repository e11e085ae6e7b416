package health

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"

	"github.com/berth-nix/berth/internal/testenv"
)

// These tests need a real systemd as PID 1 and run only inside the
// e2e test host (BERTH_IN_TESTHOST=1).

func connect(t *testing.T) *sd.Conn {
	t.Helper()
	testenv.InHost(t)
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
	got := NewFailures(baseline, now, func(u string) bool { return u == "berth-test-attempt.service" })
	if want := []string{"health-test-broken.service"}; !slices.Equal(got, want) {
		t.Errorf("NewFailures: got %v, want %v", got, want)
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

// TestUnitOneshot: a oneshot service without RemainAfterExit is inactive
// once done; the check passes only after it has run and succeeded.
func TestUnitOneshot(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	for name, prog := range map[string]string{"health-oneshot-ok.service": "/bin/true", "health-oneshot-bad.service": "/bin/false"} {
		unit := "[Service]\nType=oneshot\nExecStart=" + prog + "\n"
		if err := os.WriteFile("/run/systemd/system/"+name, []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			os.Remove("/run/systemd/system/" + name)
			exec.Command("systemctl", "reset-failed", name).Run()
		})
	}
	// A target that wants the oneshot keeps it loaded once it has run,
	// as multi-user.target does on a real system.
	target := "[Unit]\nWants=health-oneshot-ok.service\n"
	if err := os.WriteFile("/run/systemd/system/health-oneshot.target", []byte(target), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("systemctl", "stop", "health-oneshot.target").Run()
		os.Remove("/run/systemd/system/health-oneshot.target")
	})
	run(t, "systemctl", "daemon-reload")
	ok := UnitActive{Conn: conn, Unit: "health-oneshot-ok.service"}
	if err := ok.Run(ctx); err == nil {
		t.Errorf("oneshot never run: got nil, want an error")
	}
	run(t, "systemctl", "start", "health-oneshot.target")
	if err := ok.Run(ctx); err != nil {
		t.Errorf("oneshot succeeded: got %v, want nil", err)
	}
	exec.Command("systemctl", "start", "health-oneshot-bad.service").Run()
	if err := (UnitActive{Conn: conn, Unit: "health-oneshot-bad.service"}).Run(ctx); err == nil {
		t.Errorf("oneshot failed: got nil, want an error")
	}
	spec := Spec{Name: "ok", Kind: KindUnit, Unit: "health-oneshot-ok.service"}
	if err := spec.Normalize(); err != nil {
		t.Fatal(err)
	}
	p, err := Build(spec, Env{Systemd: conn})
	if err != nil || p.Check.Run(ctx) != nil {
		t.Errorf("built unit check: got %v, want a passing check", err)
	}
}

func run(t *testing.T, argv ...string) {
	t.Helper()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, out)
	}
}
