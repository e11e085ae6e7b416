package nixos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"

	"github.com/berth-nix/berth/internal/fault"
)

// Systemd talks to the system manager over D-Bus.
type Systemd struct {
	conn *sd.Conn
	// SwitchEnv is added to the environment of every
	// switch-to-configuration unit, e.g. NIXOS_NO_CHECK=1 to switch
	// despite changed switch inhibitors.
	SwitchEnv []string
}

// ConnectSystemd connects to systemd through the system bus, or, for
// root, through systemd's private socket when the bus is down (as it can
// be for a moment while an activation restarts dbus). ctx bounds only the
// connecting; the connection lives until Close. Failure is Transient.
func ConnectSystemd(ctx context.Context) (*Systemd, error) {
	ch := make(chan dialResult, 1)
	go func() {
		// go-systemd closes a connection when the context it was made
		// with ends, so it gets one that does not.
		conn, err := sd.NewWithContext(context.WithoutCancel(ctx))
		ch <- dialResult{conn, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fault.Transientf("connect to systemd: %w", r.err)
		}
		return &Systemd{conn: r.conn}, nil
	case <-ctx.Done():
		go closeWhenDialed(ch)
		return nil, fault.Transientf("connect to systemd: %w", ctx.Err())
	}
}

type dialResult struct {
	conn *sd.Conn
	err  error
}

// closeWhenDialed closes a connection nobody waited for.
func closeWhenDialed(ch <-chan dialResult) {
	if r := <-ch; r.err == nil {
		r.conn.Close()
	}
}

// Close closes the connection; units started through it keep running.
func (s *Systemd) Close() { s.conn.Close() }

// Conn is the underlying connection, for packages (health) that query
// systemd themselves.
func (s *Systemd) Conn() *sd.Conn { return s.conn }

// Unit describes a transient service that runs one command.
type Unit struct {
	// Name is the unit name; see CheckUnitName.
	Name        string
	Description string
	// Argv is the command; Argv[0] must be an absolute path.
	Argv []string
	// Env holds KEY=VALUE pairs for the command's environment.
	Env []string
	// LogPath, if set, is an absolute file the command's stdout and
	// stderr are appended to; otherwise they go to the journal.
	LogPath string
	// Timeout, if positive, is enforced by systemd itself (RuntimeMaxSec),
	// so a hung command is killed even when berth is gone.
	Timeout time.Duration
}

// ErrUnitExists is matched (errors.Is) by StartTransient's error when a
// unit of that name is already loaded, e.g. left from an earlier attempt.
var ErrUnitExists = errors.New("unit already exists")

// StartTransient starts u as a transient service of Type=exec with
// RemainAfterExit=yes and waits for its start job. The unit belongs to
// systemd, not to this process: it keeps running if berth dies, and its
// outcome stays readable (UnitOutcome) until Release.
//
// A start job that fails (e.g. Argv[0] cannot be executed) is not an error
// here: the unit then exists in state failed and UnitOutcome says why.
// Errors are Stalling for an invalid Unit and Transient otherwise.
func (s *Systemd) StartTransient(ctx context.Context, u Unit) error {
	props, err := u.properties()
	if err != nil {
		return fault.AsStalling(err)
	}
	done := make(chan string, 1)
	_, err = s.conn.StartTransientUnitContext(ctx, u.Name, "fail", props, done)
	if err != nil {
		return fault.AsTransient(startError(u.Name, err))
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fault.Transientf("start %s: waiting for start job: %w", u.Name, ctx.Err())
	}
}

func startError(name string, err error) error {
	var dbusErr godbus.Error
	if errors.As(err, &dbusErr) && dbusErr.Name == "org.freedesktop.systemd1.UnitExists" {
		return fmt.Errorf("start %s: %w", name, ErrUnitExists)
	}
	return fmt.Errorf("start %s: %w", name, err)
}

// properties translates u into StartTransientUnit properties.
func (u Unit) properties() ([]sd.Property, error) {
	if err := u.check(); err != nil {
		return nil, err
	}
	props := []sd.Property{
		sd.PropDescription(u.Description),
		sd.PropType("exec"),
		sd.PropRemainAfterExit(true),
		execStart(u.Argv),
	}
	if len(u.Env) > 0 {
		props = append(props, prop("Environment", u.Env))
	}
	if u.LogPath != "" {
		props = append(props,
			prop("StandardOutputFileToAppend", u.LogPath),
			prop("StandardErrorFileToAppend", u.LogPath))
	}
	if u.Timeout > 0 {
		props = append(props, prop("RuntimeMaxUSec", uint64(u.Timeout.Microseconds())))
	}
	return props, nil
}

// execCommand is one entry of the ExecStart property, D-Bus type (sasb).
type execCommand struct {
	Path string
	Argv []string
	// IgnoreFailure is the "-" prefix of unit files; when set every exit
	// status reads as success.
	IgnoreFailure bool
}

// execStart runs argv literally: systemd expands $VAR and ${VAR} in
// ExecStart arguments at exec time, and "$$" stands for "$".
func execStart(argv []string) sd.Property {
	escaped := make([]string, len(argv))
	for i, a := range argv {
		escaped[i] = strings.ReplaceAll(a, "$", "$$")
	}
	return prop("ExecStart", []execCommand{{Path: argv[0], Argv: escaped}})
}

func prop(name string, value any) sd.Property {
	return sd.Property{Name: name, Value: godbus.MakeVariant(value)}
}

func (u Unit) check() error {
	if err := CheckUnitName(u.Name); err != nil {
		return err
	}
	if len(u.Argv) == 0 || !filepath.IsAbs(u.Argv[0]) {
		return fmt.Errorf("unit %s: command %q: want an absolute path first", u.Name, u.Argv)
	}
	if u.LogPath != "" && !filepath.IsAbs(u.LogPath) {
		return fmt.Errorf("unit %s: log path %q is not absolute", u.Name, u.LogPath)
	}
	return nil
}

// PassEnv returns KEY=VALUE for each named variable set in this process's
// environment, to hand on to a transient unit.
func PassEnv(names ...string) []string {
	var env []string
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok {
			env = append(env, n+"="+v)
		}
	}
	return env
}
