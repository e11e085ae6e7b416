// Package logind asks systemd-logind, over the system D-Bus, who is
// logged in and asks it to reboot the machine.
package logind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/godbus/dbus/v5"
)

const (
	dest        = "org.freedesktop.login1"
	managerPath = dbus.ObjectPath("/org/freedesktop/login1")
	manager     = "org.freedesktop.login1.Manager"
	session     = "org.freedesktop.login1.Session"
)

// Session is one logind session.
type Session struct {
	ID   string
	UID  uint32
	User string
	// Class is "user", "greeter", "lock-screen" or "background"; Type is
	// "x11", "wayland", "tty", "unspecified", ...; State is "online",
	// "active" or "closing".
	Class, Type, State string
}

// Sessions lists the sessions logind knows, with their class, type and
// state.
func Sessions(ctx context.Context) ([]Session, error) {
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("system bus: %w", err)
	}
	defer conn.Close()
	var list []struct {
		ID   string
		UID  uint32
		User string
		Seat string
		Path dbus.ObjectPath
	}
	if err := conn.Object(dest, managerPath).CallWithContext(ctx, manager+".ListSessions", 0).Store(&list); err != nil {
		return nil, fmt.Errorf("logind ListSessions: %w", err)
	}
	out := make([]Session, 0, len(list))
	for _, l := range list {
		s := Session{ID: l.ID, UID: l.UID, User: l.User}
		obj := conn.Object(dest, l.Path)
		for prop, dst := range map[string]*string{"Class": &s.Class, "Type": &s.Type, "State": &s.State} {
			v, err := obj.GetProperty(session + "." + prop)
			if err != nil {
				// The session may have ended since it was listed.
				continue
			}
			*dst, _ = v.Value().(string)
		}
		out = append(out, s)
	}
	return out, nil
}

// Reboot asks logind to reboot the machine now. Called by root, logind
// does so without asking anyone (the interactive flag is false); it still
// honours inhibitor locks taken by other programs.
//
// It returns nil when logind accepted, and also when the bus closed while
// the answer was awaited: logind queues the reboot before it answers, and
// the machine going down stops the bus, often before the answer gets
// through. That is the reboot starting, not a refusal. (Should the bus
// have closed for another reason, the machine stays up: the caller
// notices that, as it would after any accepted request.)
func Reboot(ctx context.Context) error {
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("system bus: %w", err)
	}
	defer conn.Close()
	err = conn.Object(dest, managerPath).CallWithContext(ctx, manager+".Reboot", 0, false).Err
	if err != nil && !hungUp(err) {
		return fmt.Errorf("logind Reboot: %w", err)
	}
	return nil
}

// hungUp reports whether a call failed because the bus closed the
// connection while the answer was awaited: reading it ended (EOF or a
// reset). A call that could not be sent fails otherwise (a write error,
// dbus.ErrClosed), and a refusal is an error reply.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// Users are sessions of people: class "user", online or in the
// foreground. Greeters, lock screens, background sessions (cron, systemd
// --user lingering) and closing sessions do not count.
func Users(all []Session) []Session {
	var out []Session
	for _, s := range all {
		if s.Class == "user" && (s.State == "active" || s.State == "online") {
			out = append(out, s)
		}
	}
	return out
}

// Graphical are the user sessions that have a desktop to show a
// notification on.
func Graphical(all []Session) []Session {
	var out []Session
	for _, s := range Users(all) {
		if s.Type == "x11" || s.Type == "wayland" || s.Type == "mir" {
			out = append(out, s)
		}
	}
	return out
}
