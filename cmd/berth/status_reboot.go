package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/berth-nix/berth/nixos"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/reboot"
)

// rebootInfo says whether the running system needs a reboot to take full
// effect: its kernel, initrd or kernel modules differ from the booted one.
type rebootInfo struct {
	Needed bool     `json:"needed"`
	Why    []string `json:"why,omitempty"`
	// Plan is the running agent's automatic reboot (status_laptop.go).
	Plan *reboot.Plan `json:"plan,omitempty"`
}

// rebootStatus compares the system under root that runs with the one that
// booted. It is computed when asked, so it clears itself after a reboot;
// nil when either system is unknown.
func rebootStatus(root string) *rebootInfo {
	booted, err := nixos.BootedSystem(root)
	if err != nil {
		return nil
	}
	current, err := nixos.CurrentSystem(root)
	if err != nil {
		return nil
	}
	need, why, err := nixos.RebootNeeded(booted, current)
	if err != nil {
		return nil
	}
	return &rebootInfo{Needed: need, Why: why}
}

// withPendingBoot adds a system installed for the next boot only (its
// switch inhibitors changed) that does not run yet: only a reboot starts
// it.
func withPendingBoot(r *rebootInfo, pb *reconciler.PendingBoot, root string) *rebootInfo {
	if pb == nil {
		return r
	}
	if current, err := nixos.CurrentSystem(root); err != nil || current == pb.System {
		return r
	}
	if r == nil {
		r = &rebootInfo{}
	}
	r.Needed, r.Why = true, append(r.Why, pb.Why)
	return r
}

func printReboot(out io.Writer, r *rebootInfo) {
	if r != nil && r.Needed {
		fmt.Fprintf(out, "reboot needed  yes: %s differ from the booted system\n", strings.Join(r.Why, ", "))
	}
}
