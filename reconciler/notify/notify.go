// Package notify shows desktop notifications to the logged-in graphical
// users, over each user's session D-Bus (org.freedesktop.Notifications).
// Delivery is best effort: a failure is logged, never returned to the
// reconcile that caused the notification.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/godbus/dbus/v5"
)

// Urgency levels of the notification specification.
const (
	Low      byte = 0
	Normal   byte = 1
	Critical byte = 2
)

// Message is one notification.
type Message struct {
	Summary string
	Body    string
	Urgency byte
	// Actions are offered as buttons; a pressed one is reported to the
	// Notifier's OnAction.
	Actions []Action
}

// Notifier sends messages to every graphical user.
type Notifier struct {
	// Users lists the uids of the users with a graphical session.
	Users func(ctx context.Context) ([]uint32, error)
	// BusPath is the session bus socket of uid; /run/user/<uid>/bus when
	// nil, where systemd's user manager puts it.
	BusPath func(uid uint32) string
	// Timeout bounds the delivery to one user; 5s when zero.
	Timeout time.Duration
	// OnAction is told which action a user pressed on a message that
	// offers some; nil offers none.
	OnAction func(uid uint32, key string)
	// ActionWait is how long actions are listened for; 30m when zero.
	ActionWait time.Duration
	Log        *slog.Logger
}

// Send delivers m to every graphical user, logging what fails.
func (n *Notifier) Send(ctx context.Context, m Message) {
	uids, err := n.Users(ctx)
	if err != nil {
		n.log().Warn("notification not sent: cannot list graphical users", "err", err)
		return
	}
	for _, uid := range uids {
		ctx, cancel := context.WithTimeout(ctx, n.timeout())
		var on func(string)
		if n.OnAction != nil && len(m.Actions) > 0 {
			on = func(key string) { n.OnAction(uid, key) }
		}
		err := sendTo(ctx, uid, n.busPath(uid), m, on, n.actionWait())
		cancel()
		if err != nil {
			n.log().Warn("notification not delivered", "uid", uid, "summary", m.Summary, "err", err)
		}
	}
}

// SendTo delivers m on the session bus at path, connecting as uid. Its
// actions, if any, are not listened for.
func SendTo(ctx context.Context, uid uint32, path string, m Message) error {
	m.Actions = nil
	return sendTo(ctx, uid, path, m, nil, 0)
}

// sendTo delivers m; with on set it keeps the connection and, in the
// background, reports the action the user presses within wait.
func sendTo(ctx context.Context, uid uint32, path string, m Message, on func(string), wait time.Duration) error {
	uc, err := dialAs(int(uid), path)
	if err != nil {
		return fmt.Errorf("session bus %s: %w", path, err)
	}
	// The connection ends with its context: one that listens for actions
	// outlives the call, up to wait.
	connCtx, stop := ctx, context.CancelFunc(func() {})
	if on != nil {
		connCtx, stop = context.WithTimeout(context.Background(), wait)
	}
	conn, err := dbus.ConnectUnix(uc, dbus.WithContext(connCtx), dbus.WithAuth(dbus.AuthExternal(strconv.Itoa(int(uid)))))
	if err != nil {
		stop()
		uc.Close()
		return fmt.Errorf("session bus %s: %w", path, err)
	}
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(m.Urgency)}
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	var id uint32
	err = obj.CallWithContext(ctx, "org.freedesktop.Notifications.Notify", 0,
		"berth", uint32(0), "system-software-update", m.Summary, m.Body, flatActions(m.Actions), hints, int32(-1)).Store(&id)
	if err != nil || on == nil {
		stop()
		conn.Close()
		if err != nil {
			return fmt.Errorf("Notify: %w", err)
		}
		return nil
	}
	go func() {
		defer stop()
		awaitAction(conn, id, wait, on)
	}()
	return nil
}

func (n *Notifier) actionWait() time.Duration {
	if n.ActionWait > 0 {
		return n.ActionWait
	}
	return defaultActionWait
}

func (n *Notifier) busPath(uid uint32) string {
	if n.BusPath != nil {
		return n.BusPath(uid)
	}
	return fmt.Sprintf("/run/user/%d/bus", uid)
}

func (n *Notifier) timeout() time.Duration {
	if n.Timeout > 0 {
		return n.Timeout
	}
	return 5 * time.Second
}

func (n *Notifier) log() *slog.Logger {
	if n.Log != nil {
		return n.Log
	}
	return slog.Default()
}
