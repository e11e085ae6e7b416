package activate

import (
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// Policies for a system whose switch inhibitors changed
// (activation.inhibitors).
const (
	// InhibitBoot installs it as the boot default without a live switch;
	// it runs after the next reboot (the reboot policy applies).
	InhibitBoot = "boot"
	// InhibitHold applies nothing and rejects the configuration.
	InhibitHold = "hold"
	// InhibitForce switches anyway, with NIXOS_NO_CHECK=1 (set on the
	// switch units by the caller, see nixos.Systemd.SwitchEnv).
	InhibitForce = "force"
)

// inhibited decides, before the test switch, about a system that
// switch-to-configuration would refuse to switch to live because a switch
// inhibitor (such as systemd) differs from the running system's. NixOS
// skips the check for boot, so the system can still be installed for the
// next boot. ok is false when the attempt goes on to its test switch.
func (t *attempt) inhibited() (next Phase, ok bool) {
	if !t.systemChanged() || t.a.Policy.Inhibitors == InhibitForce {
		return done, false
	}
	changes, err := nixos.SwitchInhibited(t.p.Previous, t.p.Toplevel)
	if err != nil {
		logf(t.log, "warning: cannot compare switch inhibitors (the switch itself will): %v", err)
		return done, false
	}
	if len(changes) == 0 {
		return done, false
	}
	why := nixos.DescribeInhibitors(changes)
	for _, c := range changes {
		logf(t.log, "switch inhibitor %s: %s -> %s", c.Name, c.Old, c.New)
	}
	if t.a.Policy.Inhibitors == InhibitHold {
		cause := fault.Stallingf("%s; activation.inhibitors is hold, so nothing is applied", why)
		return t.stop(Failed, PhaseTest, t.a.restoreFiles(t.p.ID, t.log, cause)), true
	}
	logf(t.log, "%s: installing %s for the next boot without switching to it", why, t.p.Toplevel)
	t.p.BootOnly = why
	prevProfile, _ := nixos.ProfileSystem(t.a.Profile)
	t.p.Cause = prevProfile
	return PhasePromote, true
}

// revertInhibited says why a system that failed after the reboot that
// started it cannot be left live: the way back crosses a changed switch
// inhibitor too. The previous system is then the boot default and runs
// after the next reboot; "" means the revert may switch live.
func (t *attempt) revertInhibited() string {
	if t.a.Policy.Inhibitors == InhibitForce {
		return ""
	}
	changes, err := nixos.SwitchInhibited(t.p.Toplevel, t.p.Previous)
	if err != nil || len(changes) == 0 {
		return ""
	}
	why := nixos.DescribeInhibitors(changes)
	logf(t.log, "%s: %s is the boot default again and runs after the next reboot", why, t.p.Previous)
	t.r.BootOnly, t.r.RebootNeeded = why, true
	t.r.RebootWhy = append(t.r.RebootWhy, why)
	return why
}
