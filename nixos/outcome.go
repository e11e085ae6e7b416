package nixos

import (
	"context"
	"errors"
	"fmt"
	"time"

	godbus "github.com/godbus/dbus/v5"

	"github.com/berth-nix/berth/internal/fault"
)

// Outcome is what systemd knows about a transient unit.
type Outcome struct {
	// Exists is false when systemd has no such unit loaded (never
	// started, released, or collected).
	Exists bool
	// Running is true while the command (or its stopping) is in progress.
	Running bool
	// Done is true once the command has ended and the unit remains.
	Done bool
	// ExitCode is the command's exit status (ExecMainStatus), or -1 when
	// it was killed by a signal.
	ExitCode int
	// Signal is the signal that killed the command, or 0.
	Signal int
	// Result is the service's Result: success, exit-code, signal,
	// timeout, core-dump, start-limit-hit, resources, ...
	Result string
	// ActiveState and SubState are systemd's unit states, for messages.
	ActiveState, SubState string
}

// Succeeded reports whether the command ran to completion with status 0.
func (o Outcome) Succeeded() bool {
	return o.Done && o.Result == "success" && o.ExitCode == 0
}

func (o Outcome) String() string {
	switch {
	case !o.Exists:
		return "no such unit"
	case o.Running:
		return fmt.Sprintf("running (%s/%s)", o.ActiveState, o.SubState)
	case o.Signal != 0:
		return fmt.Sprintf("%s, killed by signal %d", o.Result, o.Signal)
	}
	return fmt.Sprintf("%s, exit status %d", o.Result, o.ExitCode)
}

// si_code values of ExecMainCode (see waitid(2)).
const (
	cldExited = 1
	cldKilled = 2
	cldDumped = 3
)

// UnitOutcome reads the state of unit name without waiting. A unit that
// does not exist is not an error: Outcome.Exists is false. Errors are
// Transient.
func (s *Systemd) UnitOutcome(ctx context.Context, name string) (Outcome, error) {
	st, err := s.conn.ListUnitsByNamesContext(ctx, []string{name})
	if err != nil {
		return Outcome{}, fault.Transientf("unit %s: %w", name, err)
	}
	if len(st) != 1 {
		return Outcome{}, fault.Transientf("unit %s: systemd listed %d units, want 1", name, len(st))
	}
	o := Outcome{ActiveState: st[0].ActiveState, SubState: st[0].SubState}
	if st[0].LoadState != "loaded" {
		return o, nil
	}
	o.Exists = true
	o.Running = running(o.ActiveState, o.SubState)
	o.Done = !o.Running
	if err := s.readResult(ctx, name, &o); err != nil {
		return Outcome{}, fault.Transientf("unit %s: %w", name, err)
	}
	return o, nil
}

// running reads systemd's states for a RemainAfterExit service: "active"
// with sub-state "exited" means the command has ended successfully.
func running(active, sub string) bool {
	switch active {
	case "activating", "deactivating", "reloading":
		return true
	case "active":
		return sub != "exited"
	}
	return false
}

func (s *Systemd) readResult(ctx context.Context, name string, o *Outcome) error {
	var code, status int32
	if err := s.serviceProp(ctx, name, "Result", &o.Result); err != nil {
		return err
	}
	if err := s.serviceProp(ctx, name, "ExecMainCode", &code); err != nil {
		return err
	}
	if err := s.serviceProp(ctx, name, "ExecMainStatus", &status); err != nil {
		return err
	}
	o.ExitCode = int(status)
	if code == cldKilled || code == cldDumped {
		o.ExitCode, o.Signal = -1, int(status)
	}
	return nil
}

func (s *Systemd) serviceProp(ctx context.Context, name, prop string, into any) error {
	p, err := s.conn.GetUnitTypePropertyContext(ctx, name, "Service", prop)
	if err != nil {
		return fmt.Errorf("read %s: %w", prop, err)
	}
	if err := p.Value.Store(into); err != nil {
		return fmt.Errorf("read %s: %w", prop, err)
	}
	return nil
}

// Wait polls UnitOutcome every poll until the unit is done. It returns a
// Transient error if ctx ends first (the unit keeps running) or if the
// unit does not exist.
func (s *Systemd) Wait(ctx context.Context, name string, poll time.Duration) (Outcome, error) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		o, err := s.UnitOutcome(ctx, name)
		if err != nil || o.Done {
			return o, err
		}
		if !o.Exists {
			return o, fault.Transientf("unit %s: does not exist", name)
		}
		select {
		case <-ctx.Done():
			return o, fault.Transientf("unit %s: still %s: %w", name, o, ctx.Err())
		case <-t.C:
		}
	}
}

// Release stops unit name if it still runs and clears its failed state,
// so systemd garbage-collects it. Releasing a unit that does not exist is
// not an error. Errors are Transient.
func (s *Systemd) Release(ctx context.Context, name string) error {
	done := make(chan string, 1)
	if _, err := s.conn.StopUnitContext(ctx, name, "replace", done); err != nil {
		if noSuchUnit(err) {
			return nil
		}
		return fault.Transientf("release %s: stop: %w", name, err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		return fault.Transientf("release %s: waiting for stop: %w", name, ctx.Err())
	}
	err := s.conn.ResetFailedUnitContext(ctx, name)
	if err != nil && !noSuchUnit(err) {
		return fault.Transientf("release %s: reset-failed: %w", name, err)
	}
	return nil
}

func noSuchUnit(err error) bool {
	var dbusErr godbus.Error
	return errors.As(err, &dbusErr) && dbusErr.Name == "org.freedesktop.systemd1.NoSuchUnit"
}
