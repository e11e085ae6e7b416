package activate

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// RollbackTarget names the system berth rollback switches to: the system
// of the given profile generation, or, for generation 0, the newest
// generation older than the current one whose system is not the one
// running. It returns the system and its generation number.
func (a *Activator) RollbackTarget(generation int) (string, int, error) {
	gens, err := nixos.Generations(a.Profile)
	if err != nil {
		return "", 0, err
	}
	if generation > 0 {
		i := slices.IndexFunc(gens, func(g nixos.Generation) bool { return g.Number == generation })
		if i < 0 || gens[i].System == "" {
			return "", 0, fault.Stallingf("generation %d of %s does not exist", generation, a.Profile)
		}
		return gens[i].System, generation, nil
	}
	running, err := nixos.CurrentSystem(a.Root)
	if err != nil {
		return "", 0, fault.Transientf("read the running system: %w", err)
	}
	current := nixos.CurrentGeneration(a.Profile)
	for _, g := range slices.Backward(gens) {
		if g.Number < current && g.System != "" && g.System != running {
			return g.System, g.Number, nil
		}
	}
	return "", 0, fault.Stallingf("%s has no generation before %d with another system to go back to", a.Profile, current)
}

// Rollback switches the machine to target, a system that was installed
// before, and makes it the boot default: switch-to-configuration test in
// a transient unit, then the system profile and the boot entry, as a
// promotion does. Units failed after the switch do not stop it: the
// person asked for exactly this system.
func (a *Activator) Rollback(ctx context.Context, id, target, logPath string, log io.Writer) error {
	if err := nixos.CheckSystem(target); err != nil {
		return err
	}
	logf(log, "rolling back to %s", target)
	o, err := a.Systemd.Switch(ctx, target, "test", unitName("rollback", id), logPath, a.Policy.TestTimeout)
	if err != nil {
		return fault.Transientf("run switch-to-configuration test: %w", err)
	}
	if o.ExitCode != 0 && o.ExitCode != nixos.ExitUnitsFailed {
		return fmt.Errorf("switch-to-configuration test of %s failed (status %d, %s)", target, o.ExitCode, o.Result)
	}
	if err := a.Nix.SetProfile(ctx, a.Profile, target, log); err != nil {
		return err
	}
	o, err = a.Systemd.Switch(ctx, target, "boot", unitName("rollback-boot", id), logPath, a.Policy.BootTimeout)
	if err != nil {
		return fault.Transientf("run switch-to-configuration boot: %w", err)
	}
	if o.ExitCode != 0 {
		return fmt.Errorf("switch-to-configuration boot of %s failed (status %d, %s)", target, o.ExitCode, o.Result)
	}
	return nil
}
