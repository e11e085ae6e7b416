package reconciler

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// awaitingReboot reports whether the running system differs from the
// applied one only because the applied one waits for a reboot.
func (st *State) awaitingReboot() bool {
	return st.PendingBoot != nil && st.Applied != nil && st.PendingBoot.System == st.Applied.Toplevel
}

// verifyBoot judges a system installed for the next boot only, once the
// machine booted it: the same verify phase as after a test switch (failed
// units, checks, reachability), journaled and resumed like an interrupted
// attempt. On failure the previous system is made the boot default again
// and switched to, and the configuration is rejected. ok is false when
// there is nothing to verify.
func (r *Reconciler) verifyBoot(ctx context.Context, st *State) (rep Report, ok bool) {
	pb := st.PendingBoot
	if pb == nil || r.Booted == nil || st.Applied == nil || st.InProgress != nil {
		return Report{}, false
	}
	if booted, err := r.Booted(); err != nil || booted != pb.System {
		return Report{}, false
	}
	id := newID(r.now(), r.nextSeq())
	log, err := r.History.CreateLog(id)
	if err != nil {
		return Report{Result: ResultFailed, Err: fault.Transientf("create the attempt log: %w", err)}, true
	}
	fmt.Fprintf(log, "berth: verifying %s after the reboot that started it (%s)\n", pb.System, pb.Why)
	log.Close()
	st.InProgress = &InProgress{Revision: *st.Applied, Progress: activate.Progress{ID: id, Revision: st.Applied.Revision,
		Digest: st.Applied.Digest, Phase: activate.PhaseVerify, Toplevel: pb.System, Previous: pb.Previous,
		LogPath: r.History.LogPath(id), Started: r.now(), AfterBoot: true,
		Outcome: &nixos.Outcome{Exists: true, Done: true, Result: "success"}}}
	if err := r.Store.Save(*st); err != nil {
		return Report{Result: ResultFailed, Err: err}, true
	}
	rep = r.resumeAs(ctx, st, "boot")
	if rep.Result == ResultApplied && pb.Rejected != nil && st.Rejected == nil {
		st.Rejected = pb.Rejected
		if err := r.Store.Save(*st); err != nil {
			rep.Err = errors.Join(rep.Err, err)
		}
	}
	if rep.Result == ResultReverted || (rep.Result == ResultFailed && st.InProgress == nil) {
		st.Applied, st.PendingBoot = pb.PreviousApplied, nil
		if a := rep.Attempt; a != nil && a.BootOnly != "" && pb.PreviousApplied != nil {
			// The way back is boot-only too: the previous system waits
			// for the next reboot, and is verified after it.
			st.PendingBoot = &PendingBoot{System: pb.Previous, Previous: pb.System, Why: "reverted for the next boot: " + a.BootOnly,
				Since: r.now(), PreviousApplied: pb.PreviousApplied, Rejected: st.Rejected}
		}
		if err := r.Store.Save(*st); err != nil {
			rep.Err = errors.Join(rep.Err, err)
		}
	}
	return rep, true
}
