package notify

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// ActionPostpone is the key of the "Postpone" action offered on the
// warning before a restart (berth postpone, docs/lifecycle.md).
const ActionPostpone = "postpone"

// Action is a button on a notification: Key is what the server reports
// back when it is pressed, Label what the user sees.
type Action struct {
	Key, Label string
}

// defaultActionWait bounds how long a notification's actions are
// listened for.
const defaultActionWait = 30 * time.Minute

// flatActions is the Notify call's actions argument: key, label, ...
func flatActions(as []Action) []string {
	out := make([]string, 0, 2*len(as))
	for _, a := range as {
		out = append(out, a.Key, a.Label)
	}
	return out
}

// awaitAction listens on conn for the ActionInvoked or NotificationClosed
// signal of notification id, until wait passes, calls on with the key of
// an invoked action, and closes conn.
func awaitAction(conn *dbus.Conn, id uint32, wait time.Duration, on func(key string)) {
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)
	for _, member := range []string{"ActionInvoked", "NotificationClosed"} {
		if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface("org.freedesktop.Notifications"), dbus.WithMatchMember(member)); err != nil {
			return
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-signals:
			if !ok {
				return
			}
			if len(s.Body) < 2 {
				continue
			}
			if sid, _ := s.Body[0].(uint32); sid != id {
				continue
			}
			if s.Name == "org.freedesktop.Notifications.ActionInvoked" {
				if key, ok := s.Body[1].(string); ok {
					on(key)
				}
			}
			return
		}
	}
}
