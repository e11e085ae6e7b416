package activate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// DeadMan is the dead-man switch of an attempt. Before the test phase it
// arms a transient systemd timer whose service re-activates the previous
// system (its own switch-to-configuration test) Window after arming. The
// agent disarms it when it reaches a verdict. If the agent dies or hangs
// in between (for instance because the new configuration killed it) and
// does not come back in time, systemd itself takes the host back to the
// recorded previous system; the boot entry was never touched.
//
// Window must be longer than the agent may legitimately take from arming
// to its verdict: the test timeout, the settle pause and the longest
// check deadline.
type DeadMan struct {
	// Conn is the system manager connection the timer is started through.
	Conn   *sd.Conn
	Window time.Duration
	// Timeout bounds the service's switch, as activation.test_timeout does
	// for the agent's own.
	Timeout time.Duration
}

// ErrDeadManFired is the cause of a revert found already done by the
// dead-man switch when the agent reached its verdict.
var ErrDeadManFired = errors.New("the dead-man switch fired before the verdict and re-activated the previous system")

func deadManTimer(id string) string   { return fmt.Sprintf("berth-deadman-%s.timer", id) }
func deadManService(id string) string { return unitName("deadman", id) }

// armDeadMan arms the dead-man switch for p, when one is configured and
// there is a previous system to return to.
func (a *Activator) armDeadMan(ctx context.Context, p Progress, log io.Writer) error {
	if !a.deadManArmed(p) {
		return nil
	}
	d := a.DeadMan
	timer, svc := deadManTimer(p.ID), deadManService(p.ID)
	done := make(chan string, 1)
	_, err := d.Conn.StartTransientUnitAux(ctx, timer, "fail", d.timerProps(p), []sd.PropertyCollection{{Name: svc, Properties: d.serviceProps(p)}}, done)
	if err != nil {
		return fault.Transientf("arm the dead-man switch %s: %w", timer, err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		return fault.Transientf("arm the dead-man switch %s: %w", timer, ctx.Err())
	}
	logf(log, "dead-man switch armed: %s re-activates %s in %s unless disarmed", timer, p.Previous, d.Window)
	return nil
}

func (d *DeadMan) timerProps(p Progress) []sd.Property {
	return []sd.Property{
		sd.PropDescription("berth: dead-man switch of attempt " + p.ID),
		dbusProp("OnActiveSec", uint64(d.Window.Microseconds())),
		dbusProp("AccuracyUSec", uint64(time.Second.Microseconds())),
	}
}

// serviceProps describe the revert the timer starts. Conflicts and After
// stop a test unit still running first: its lock would make the revert
// fail.
func (d *DeadMan) serviceProps(p Progress) []sd.Property {
	test := unitName("test", p.ID)
	props := []sd.Property{
		sd.PropDescription("berth: dead-man revert to " + p.Previous),
		sd.PropType("exec"),
		sd.PropRemainAfterExit(true),
		dbusProp("ExecStart", []execCommand{{Path: filepath.Join(p.Previous, "bin/switch-to-configuration"), Argv: []string{filepath.Join(p.Previous, "bin/switch-to-configuration"), "test"}}}),
		dbusProp("Conflicts", []string{test}),
		sd.PropAfter(test),
	}
	if env := nixos.PassEnv("LOCALE_ARCHIVE"); len(env) > 0 {
		props = append(props, dbusProp("Environment", env))
	}
	if p.LogPath != "" {
		props = append(props, dbusProp("StandardOutputFileToAppend", p.LogPath), dbusProp("StandardErrorFileToAppend", p.LogPath))
	}
	if d.Timeout > 0 {
		props = append(props, dbusProp("RuntimeMaxUSec", uint64(d.Timeout.Microseconds())))
	}
	return props
}

// execCommand is one ExecStart entry, D-Bus type (sasb). Store paths hold
// no "$", so systemd's variable expansion leaves them alone.
type execCommand struct {
	Path          string
	Argv          []string
	IgnoreFailure bool
}

func dbusProp(name string, value any) sd.Property {
	return sd.Property{Name: name, Value: godbus.MakeVariant(value)}
}

// disarmDeadMan stops the timer of attempt p so that it can no longer
// fire. It returns a cause when the switch cannot be trusted to stay
// quiet: ErrDeadManFired (Stalling: the agent did not reach its verdict in
// the window) once the timer's revert has run, or a Transient error when
// systemd could not be asked. Without a dead-man switch it returns nil.
func (a *Activator) disarmDeadMan(ctx context.Context, p Progress, log io.Writer) error {
	if !a.deadManArmed(p) {
		return nil
	}
	if err := a.Systemd.Release(ctx, deadManTimer(p.ID)); err != nil {
		return fault.Transientf("disarm the dead-man switch: %w", err)
	}
	fired, err := a.deadManFired(ctx, p.ID)
	if err != nil {
		return fault.Transientf("disarm the dead-man switch: %w", err)
	}
	if !fired {
		_ = a.Systemd.Release(ctx, deadManService(p.ID))
		logf(log, "dead-man switch disarmed")
		return nil
	}
	return a.awaitDeadMan(ctx, p.ID, log)
}

// lostOutcome is the cause of reverting an attempt whose test unit is
// gone: the dead-man switch having fired (it stops the test unit) means
// the agent did not reach a verdict within the window, which is held
// against the revision; otherwise the outcome is simply unknown.
func (a *Activator) lostOutcome(ctx context.Context, p Progress) error {
	if a.deadManArmed(p) {
		if fired, err := a.deadManFired(ctx, p.ID); err == nil && fired {
			return fault.AsStalling(ErrDeadManFired)
		}
	}
	return fault.AsTransient(ErrUnknownOutcome)
}

// deadManArmed reports whether attempt p has a dead-man switch: one is
// configured and there is a previous system to return to.
func (a *Activator) deadManArmed(p Progress) bool {
	return a.DeadMan != nil && a.DeadMan.Conn != nil && p.Previous != ""
}

// deadManFired reports whether the dead-man service of attempt id has
// started. It has RemainAfterExit, so a run leaves it active or failed;
// one never started is inactive or gone.
func (a *Activator) deadManFired(ctx context.Context, id string) (bool, error) {
	o, err := a.Systemd.UnitOutcome(ctx, deadManService(id))
	if err != nil {
		return false, err
	}
	return o.Exists && o.ActiveState != "inactive", nil
}

// awaitDeadMan waits for a dead-man revert to finish, so that nothing
// else switches at the same time, and releases it.
func (a *Activator) awaitDeadMan(ctx context.Context, id string, log io.Writer) error {
	svc := deadManService(id)
	logf(log, "the dead-man switch has fired (%s); waiting for its revert", svc)
	poll := a.Policy.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	o, err := a.Systemd.Wait(ctx, svc, poll)
	if err != nil {
		return fault.Transientf("wait for the dead-man revert %s: %w", svc, err)
	}
	logf(log, "dead-man revert %s ended: %s", svc, o)
	_ = a.Systemd.Release(ctx, svc)
	return fault.AsStalling(ErrDeadManFired)
}
