package nixos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testenv"
)

// These tests need a real systemd as PID 1 and run only inside the
// e2e test host (BERTH_IN_TESTHOST=1), where the suite copies the
// compiled test binary.

func connect(t *testing.T) *Systemd {
	t.Helper()
	testenv.InHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := ConnectSystemd(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// unitName makes a name unique to this test and process.
func unitName(t *testing.T) string {
	t.Helper()
	n := strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	return fmt.Sprintf("berth-t-%s-%d-%d.service", strings.ToLower(n), os.Getpid(), time.Now().UnixNano()%1e6)
}

// release removes a unit a test left behind.
func release(t *testing.T, s *Systemd, name string) {
	t.Cleanup(func() {
		if err := s.Release(context.Background(), name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if o, err := s.UnitOutcome(context.Background(), name); err != nil || o.Exists {
			t.Errorf("cleanup: got %+v, %v, want the unit gone", o, err)
		}
	})
}

func shellUnit(t *testing.T, script string) Unit {
	return Unit{
		Name:    unitName(t),
		Argv:    []string{"/bin/sh", "-c", script},
		LogPath: filepath.Join(t.TempDir(), "unit.log"),
	}
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestTransientUnitOutcome(t *testing.T) {
	s := connect(t)
	ctx := waitCtx(t)
	tests := []struct {
		name, script  string
		result        string
		exit, signal  int
		wantSucceeded bool
	}{
		{"exit0", "echo to-stdout; echo to-stderr >&2", "success", 0, 0, true},
		{"exit3", "exit 3", "exit-code", 3, 0, false},
		{"killed", "kill -9 $$", "signal", -1, 9, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := shellUnit(t, tt.script)
			release(t, s, u.Name)
			if err := s.StartTransient(ctx, u); err != nil {
				t.Fatal(err)
			}
			o, err := s.Wait(ctx, u.Name, 50*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if o.Result != tt.result || o.ExitCode != tt.exit || o.Signal != tt.signal || o.Succeeded() != tt.wantSucceeded {
				t.Errorf("got %+v, want result %s exit %d signal %d", o, tt.result, tt.exit, tt.signal)
			}
			if err := s.Release(ctx, u.Name); err != nil {
				t.Fatal(err)
			}
			if o, err := s.UnitOutcome(ctx, u.Name); err != nil || o.Exists {
				t.Errorf("after Release: got %+v, %v, want no unit", o, err)
			}
		})
	}
}

func TestTransientUnitLog(t *testing.T) {
	s := connect(t)
	ctx := waitCtx(t)
	// '$HOME' must reach the shell as written, not expanded by systemd.
	u := shellUnit(t, "echo to-stdout; echo to-stderr >&2; echo 'literal $HOME'")
	os.WriteFile(u.LogPath, []byte("earlier\n"), 0o644)
	release(t, s, u.Name)
	if err := s.StartTransient(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Wait(ctx, u.Name, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(u.LogPath)
	if got, want := string(b), "earlier\nto-stdout\nto-stderr\nliteral $HOME\n"; got != want {
		t.Errorf("got log %q, want %q", got, want)
	}
}

// TestTransientUnitRemains checks that a finished unit stays readable
// long after it ended, even past its RuntimeMaxSec.
func TestTransientUnitRemains(t *testing.T) {
	s := connect(t)
	ctx := waitCtx(t)
	u := shellUnit(t, "exit 0")
	u.Timeout = time.Second
	release(t, s, u.Name)
	if err := s.StartTransient(ctx, u); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	o, err := s.UnitOutcome(ctx, u.Name)
	if err != nil || !o.Exists || !o.Succeeded() {
		t.Errorf("got %+v, %v, want a remaining successful unit", o, err)
	}
}

func TestTransientUnitErrors(t *testing.T) {
	s := connect(t)
	ctx := waitCtx(t)
	u := shellUnit(t, "sleep 30")
	release(t, s, u.Name)
	if err := s.StartTransient(ctx, u); err != nil {
		t.Fatal(err)
	}
	if o, err := s.UnitOutcome(ctx, u.Name); err != nil || !o.Running || o.Done {
		t.Errorf("got %+v, %v, want a running unit", o, err)
	}
	if err := s.StartTransient(ctx, u); !errors.Is(err, ErrUnitExists) {
		t.Errorf("second start: got %v, want ErrUnitExists", err)
	}
	bad := Unit{Name: unitName(t) + "x", Argv: []string{"relative"}}
	if err := s.StartTransient(ctx, bad); err == nil {
		t.Errorf("relative command: got nil, want an error")
	}
}

func TestTransientUnitExecFails(t *testing.T) {
	s := connect(t)
	ctx := waitCtx(t)
	u := Unit{Name: unitName(t), Argv: []string{"/nonexistent/switch-to-configuration"}}
	release(t, s, u.Name)
	if err := s.StartTransient(ctx, u); err != nil {
		t.Fatal(err)
	}
	o, err := s.Wait(ctx, u.Name, 50*time.Millisecond)
	if err != nil || o.Succeeded() || o.Result != "exit-code" || o.ExitCode != 203 {
		t.Errorf("got %+v, %v, want exit-code 203 (EXIT_EXEC)", o, err)
	}
}

// fixtureSystem makes a toplevel whose switch-to-configuration records
// its action and environment to stdout, then runs body.
func fixtureSystem(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"action=$1 locale=$LOCALE_ARCHIVE\"\n" + body + "\n"
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "bin/switch-to-configuration"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSwitch(t *testing.T) {
	s := connect(t)
	ctx := waitCtx(t)
	t.Setenv("LOCALE_ARCHIVE", "/test/locale-archive")
	tests := []struct {
		name, body string
		timeout    time.Duration
		result     string
		exit       int
	}{
		{"ok", "exit 0", time.Minute, "success", 0},
		{"units failed", "exit 4", time.Minute, "exit-code", ExitUnitsFailed},
		{"error", "exit 1", time.Minute, "exit-code", 1},
		{"hangs", "exec sleep 300", time.Second, "timeout", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := fixtureSystem(t, tt.body)
			log := filepath.Join(t.TempDir(), "switch.log")
			name := unitName(t)
			release(t, s, name)
			start := time.Now()
			o, err := s.Switch(ctx, top, "test", name, log, tt.timeout)
			if err != nil {
				t.Fatal(err)
			}
			if o.Result != tt.result || o.ExitCode != tt.exit {
				t.Errorf("got %+v, want result %s exit %d", o, tt.result, tt.exit)
			}
			if tt.timeout < time.Minute && time.Since(start) > 20*time.Second {
				t.Errorf("took %v, want systemd to stop it after %v", time.Since(start), tt.timeout)
			}
			b, _ := os.ReadFile(log)
			if want := "action=test locale=/test/locale-archive\n"; string(b) != want {
				t.Errorf("got log %q, want %q", b, want)
			}
			if o, err := s.UnitOutcome(ctx, name); err != nil || o.Exists {
				t.Errorf("after Switch: got %+v, %v, want the unit released", o, err)
			}
		})
	}
}

// helperEnv, when set, makes the test binary a stand-in for a berth
// process that starts a unit and is then killed.
const helperEnv = "BERTH_TEST_HELPER_UNIT"

func TestHelperStartsUnit(t *testing.T) {
	name := os.Getenv(helperEnv)
	if name == "" {
		t.Skip("helper for TestUnitOutlivesBerth")
	}
	s := connect(t)
	u := Unit{Name: name, Argv: []string{"/bin/sh", "-c", "sleep 2; exit 0"}, Timeout: time.Minute}
	if err := s.StartTransient(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	fmt.Println("started")
	select {}
}

// TestUnitOutlivesBerth starts a unit from a child process, kills the
// child with SIGKILL, and checks that the unit still finishes and its
// outcome can still be read.
func TestUnitOutlivesBerth(t *testing.T) {
	s := connect(t)
	ctx := waitCtx(t)
	name := unitName(t)
	release(t, s, name)
	child := exec.Command(os.Args[0], "-test.run=^TestHelperStartsUnit$", "-test.v")
	child.Env = append(os.Environ(), helperEnv+"="+name)
	out, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitForLine(out, "started") {
		t.Fatal("helper did not start the unit")
	}
	child.Process.Kill()
	child.Wait()
	if o, err := s.UnitOutcome(ctx, name); err != nil || !o.Running {
		t.Fatalf("right after the kill: got %+v, %v, want the unit running", o, err)
	}
	o, err := s.Wait(ctx, name, 100*time.Millisecond)
	if err != nil || !o.Succeeded() {
		t.Errorf("got %+v, %v, want the unit to finish successfully", o, err)
	}
}

func waitForLine(r interface{ Read([]byte) (int, error) }, want string) bool {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if sc.Text() == want {
			return true
		}
	}
	return false
}
