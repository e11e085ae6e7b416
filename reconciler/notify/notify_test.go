package notify

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/reconciler"
)

// nobody owns the session bus in these tests, as a desktop user would.
const nobody = 65534

// sessionBus starts a real dbus-daemon session bus owned by nobody and
// returns its socket path. Only root can run it as another user.
func sessionBus(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "needs root to run a session bus as another user")
	}
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		testenv.Missing(t, "dbus-daemon not installed (apt-get install dbus-daemon)")
	}
	dir, err := os.MkdirTemp("", "berth-notify-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Laid out like /run/user/<uid>: a 0700 directory of the user's own.
	run := filepath.Join(dir, "user")
	for _, step := range []error{os.Chmod(dir, 0o755), os.Mkdir(run, 0o700), os.Chown(run, nobody, nobody)} {
		if step != nil {
			t.Fatal(step)
		}
	}
	path := filepath.Join(run, "bus")
	cmd := exec.Command(daemon, "--session", "--nofork", "--nopidfile", "--address=unix:path="+path, "--print-address=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}, Pdeathsig: syscall.SIGKILL}
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + run}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatalf("dbus-daemon did not print its address: %v", err)
	}
	return path
}

// call is one Notify call the stub received.
type call struct {
	App, Summary, Body string
	Urgency            byte
}

// stubServer is a notification server that records calls instead of
// showing them; the real ones need a display.
type stubServer struct {
	mu    sync.Mutex
	calls []call
}

func (s *stubServer) Notify(app string, _ uint32, _ string, summary, body string, _ []string,
	hints map[string]dbus.Variant, _ int32) (uint32, *dbus.Error) {
	u, _ := hints["urgency"].Value().(byte)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call{app, summary, body, u})
	return uint32(len(s.calls)), nil
}

func (s *stubServer) received() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.calls...)
}

// startStub connects to the bus as its owner and takes the name of the
// notification service.
func startStub(t *testing.T, path string) *stubServer {
	t.Helper()
	s := &stubServer{}
	serveNotifications(t, path, s)
	return s
}

// serveNotifications connects to the bus at path as its owner and
// exports server as the notification service; it returns the connection.
func serveNotifications(t *testing.T, path string, server any) *dbus.Conn {
	t.Helper()
	uc, err := dialAs(nobody, path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := dbus.ConnectUnix(uc, dbus.WithAuth(dbus.AuthExternal(strconv.Itoa(nobody))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Export(server, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v %v", reply, err)
	}
	return conn
}

func TestSendReachesTheUsersSessionBus(t *testing.T) {
	path := sessionBus(t)
	stub := startStub(t, path)
	n := &Notifier{
		// uid 4242 has no session bus: its failure must not stop the others.
		Users: func(context.Context) ([]uint32, error) { return []uint32{4242, nobody}, nil },
		BusPath: func(uid uint32) string {
			if uid == nobody {
				return path
			}
			return filepath.Join(filepath.Dir(path), "absent", "bus")
		},
	}
	n.Send(context.Background(), Message{Summary: "Configuration updated", Body: "main@sha1:abc", Urgency: Low})
	got := stub.received()
	want := []call{{"berth", "Configuration updated", "main@sha1:abc", Low}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// Root cannot simply connect to a user's session bus: dbus-daemon admits
// only the bus's owner. This is why SendTo connects as the user.
func TestRootIsNotAdmittedAsItself(t *testing.T) {
	path := sessionBus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := dbus.Connect("unix:path="+path, dbus.WithContext(ctx))
	if err == nil {
		conn.Close()
		t.Fatal("root connected to nobody's session bus as root; want it refused")
	}
}

func TestSendWithoutServerFails(t *testing.T) {
	path := sessionBus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := SendTo(ctx, nobody, path, Message{Summary: "x"})
	if err == nil || !strings.Contains(err.Error(), "Notify") {
		t.Errorf("got %v, want a Notify error naming the missing service", err)
	}
}

// The observer delivers the messages of a reconcile in the background.
func TestObserverNotifiesAfterARevert(t *testing.T) {
	path := sessionBus(t)
	stub := startStub(t, path)
	n := &Notifier{Users: func(context.Context) ([]uint32, error) { return []uint32{nobody}, nil },
		BusPath: func(uint32) string { return path }}
	att := &reconciler.Attempt{Revision: "main@sha1:bad", Result: "reverted", Phase: "verify", FailedUnits: []string{"web.service"}}
	Observer{Notifier: n}.Reconciled(reconciler.Report{Result: reconciler.ResultReverted, Attempt: att}, reconciler.State{})
	deadline := time.Now().Add(5 * time.Second)
	for len(stub.received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := stub.received()
	if len(got) != 1 || got[0].Summary != "Update failed and was reverted" || got[0].Urgency != Normal {
		t.Errorf("got %+v, want one normal-urgency revert notification", got)
	}
}

// pressingStub is a notification server whose user presses the first
// action of every notification that offers one.
type pressingStub struct {
	conn    atomic.Pointer[dbus.Conn]
	actions chan []string
}

func (s *pressingStub) Notify(_ string, _ uint32, _ string, _, _ string, actions []string,
	_ map[string]dbus.Variant, _ int32) (uint32, *dbus.Error) {
	s.actions <- actions
	if len(actions) >= 2 {
		go func() {
			time.Sleep(100 * time.Millisecond)
			s.conn.Load().Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications.ActionInvoked", uint32(7), actions[0])
		}()
	}
	return 7, nil
}

// TestActionIsReported: the restart warning offers "Postpone", and the
// user pressing it on their desktop reaches OnAction with their uid.
func TestActionIsReported(t *testing.T) {
	path := sessionBus(t)
	stub := &pressingStub{actions: make(chan []string, 4)}
	stub.conn.Store(serveNotifications(t, path, stub))
	pressed := make(chan string, 1)
	n := &Notifier{Users: func(context.Context) ([]uint32, error) { return []uint32{nobody}, nil },
		BusPath:  func(uint32) string { return path },
		OnAction: func(uid uint32, key string) { pressed <- strconv.Itoa(int(uid)) + " " + key }}
	n.Send(context.Background(), RestartAt(time.Now().Add(time.Hour), []string{"kernel"}, 4*time.Hour))
	if got := <-stub.actions; len(got) != 2 || got[0] != ActionPostpone || got[1] != "Postpone 4h0m0s" {
		t.Errorf("actions offered: got %q", got)
	}
	select {
	case got := <-pressed:
		if got != "65534 postpone" {
			t.Errorf("OnAction: got %q, want 65534 postpone", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pressed action never reached OnAction")
	}
	n.Send(context.Background(), Message{Summary: "Configuration updated"})
	if got := <-stub.actions; len(got) != 0 {
		t.Errorf("a message without actions offered %q", got)
	}
}
