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
	Log     *slog.Logger
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
		err := SendTo(ctx, uid, n.busPath(uid), m)
		cancel()
		if err != nil {
			n.log().Warn("notification not delivered", "uid", uid, "summary", m.Summary, "err", err)
		}
	}
}

// SendTo delivers m on the session bus at path, connecting as uid.
func SendTo(ctx context.Context, uid uint32, path string, m Message) error {
	uc, err := dialAs(int(uid), path)
	if err != nil {
		return fmt.Errorf("session bus %s: %w", path, err)
	}
	conn, err := dbus.ConnectUnix(uc, dbus.WithContext(ctx), dbus.WithAuth(dbus.AuthExternal(strconv.Itoa(int(uid)))))
	if err != nil {
		uc.Close()
		return fmt.Errorf("session bus %s: %w", path, err)
	}
	defer conn.Close()
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(m.Urgency)}
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	call := obj.CallWithContext(ctx, "org.freedesktop.Notifications.Notify", 0,
		"berth", uint32(0), "system-software-update", m.Summary, m.Body, []string{}, hints, int32(-1))
	if call.Err != nil {
		return fmt.Errorf("Notify: %w", call.Err)
	}
	return nil
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
