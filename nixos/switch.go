package nixos

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// ExitUnitsFailed is switch-to-configuration's exit status when units are
// in the failed state after the switch. It counts units that had already
// failed before the switch too, so it alone does not prove the new
// configuration broke anything: compare failed units before and after.
const ExitUnitsFailed = 4

// switchActions are the actions switch-to-configuration understands.
var switchActions = map[string]bool{"switch": true, "boot": true, "test": true, "dry-activate": true}

// switchEnv is passed through to switch-to-configuration when set, as
// nixos-rebuild does.
var switchEnv = []string{"LOCALE_ARCHIVE", "NIXOS_INSTALL_BOOTLOADER"}

// pollInterval is how often Switch looks at its unit.
const pollInterval = 250 * time.Millisecond

// Switch runs `<toplevel>/bin/switch-to-configuration <action>` as the
// transient unit unitName, its output appended to logPath, killed by
// systemd after timeout; waits for it; releases the unit and returns how
// it ended. The command's failure is reported in the Outcome, not as an
// error.
//
// If ctx ends first the unit is left running (it must not be cut off
// mid-activation): the error is Transient, and a later UnitOutcome or Wait
// on unitName picks up where this call stopped.
func (s *Systemd) Switch(ctx context.Context, toplevel, action, unitName, logPath string, timeout time.Duration) (Outcome, error) {
	if !switchActions[action] {
		return Outcome{}, fmt.Errorf("switch-to-configuration: unknown action %q", action)
	}
	u := Unit{
		Name:        unitName,
		Description: fmt.Sprintf("berth: switch-to-configuration %s %s", action, toplevel),
		Argv:        []string{filepath.Join(toplevel, "bin/switch-to-configuration"), action},
		Env:         append(PassEnv(switchEnv...), s.SwitchEnv...),
		LogPath:     logPath,
		Timeout:     timeout,
	}
	if err := s.StartTransient(ctx, u); err != nil {
		return Outcome{}, err
	}
	o, err := s.Wait(ctx, unitName, pollInterval)
	if err != nil {
		return o, err
	}
	if err := s.Release(ctx, unitName); err != nil {
		return o, err
	}
	return o, nil
}
