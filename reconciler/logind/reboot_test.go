package logind

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/berth-nix/berth/internal/testenv"
)

// TestHungUp: only the bus closing on a call already sent counts as the
// reboot starting; a call that never went out and a refusal do not.
func TestHungUp(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"read ended", &net.OpError{Op: "read", Net: "unix", Err: io.EOF}, true},
		{"read ended mid-message", fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{"connection reset", &net.OpError{Op: "read", Net: "unix", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true},
		{"not sent: broken pipe", &net.OpError{Op: "write", Net: "unix", Err: os.NewSyscallError("write", syscall.EPIPE)}, false},
		{"not sent: connection closed", dbus.ErrClosed, false},
		{"refused", dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied"}, false},
		{"no answer in time", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		if got := hungUp(tt.err); got != tt.want {
			t.Errorf("%s: hungUp(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// stubLogind answers Reboot on a test bus as act says.
type stubLogind struct {
	act    func() *dbus.Error
	called chan bool
}

func (s *stubLogind) Reboot(interactive bool) *dbus.Error {
	s.called <- interactive
	return s.act()
}

// testBus starts a real dbus-daemon on a socket of its own and makes it
// the system bus of this test; it returns a function that stops the
// daemon and waits for it to exit.
func testBus(t *testing.T) (stop func()) {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		testenv.Missing(t, "dbus-daemon not installed (apt-get install dbus-daemon)")
	}
	path := filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command(daemon, "--session", "--nofork", "--nopidfile", "--address=unix:path="+path, "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop = sync.OnceFunc(func() { cmd.Process.Kill(); cmd.Wait() })
	t.Cleanup(stop)
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatalf("dbus-daemon did not print its address: %v", err)
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+path)
	return stop
}

// serve puts s on the test bus as logind.
func serve(t *testing.T, s *stubLogind) {
	t.Helper()
	conn, err := dbus.ConnectSystemBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Export(s, managerPath, manager); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(dest, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v %v", reply, err)
	}
}

// TestReboot asks a stand-in logind on a real bus. The bus closing after
// the request arrived, before the answer, is what a machine going down
// does: Reboot must take it as accepted.
func TestReboot(t *testing.T) {
	tests := []struct {
		name string
		// act is the stand-in's answer; stopBus stops its daemon.
		act  func(stopBus func()) *dbus.Error
		want string // "" = nil, else part of the error
	}{
		{"accepted", func(func()) *dbus.Error { return nil }, ""},
		{"refused", func(func()) *dbus.Error {
			return dbus.NewError("org.freedesktop.DBus.Error.AccessDenied", []any{"inhibited"})
		}, "logind Reboot: inhibited"},
		{"bus closes before the answer", func(stopBus func()) *dbus.Error {
			stopBus()
			return nil
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stopBus := testBus(t)
			stub := &stubLogind{act: func() *dbus.Error { return tt.act(stopBus) }, called: make(chan bool, 1)}
			serve(t, stub)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := Reboot(ctx)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
			select {
			case interactive := <-stub.called:
				if interactive {
					t.Errorf("got an interactive request, want none")
				}
			default:
				t.Errorf("logind was not asked")
			}
		})
	}
}

// TestRebootNotSent: with no logind on the bus, or no bus at all, the
// request never arrived: an error, so the caller tries another way.
func TestRebootNotSent(t *testing.T) {
	testBus(t)
	if err := Reboot(context.Background()); err == nil || !strings.Contains(err.Error(), "logind Reboot") {
		t.Errorf("no logind: got %v, want the call's error", err)
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "absent"))
	if err := Reboot(context.Background()); err == nil || !strings.Contains(err.Error(), "system bus") {
		t.Errorf("no bus: got %v, want the connection's error", err)
	}
}
