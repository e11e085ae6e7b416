package report

import "time"

// Drift is recorded in state while the running system is not the one
// berth applied: someone ran nixos-rebuild switch or --rollback, or chose
// an older generation at boot.
type Drift struct {
	// Running is what /run/current-system points at; Applied is the
	// system berth last applied.
	Running string    `json:"running"`
	Applied string    `json:"applied"`
	Since   time.Time `json:"since"`
}

// RolledBack is recorded in state after berth rollback until the branch
// is applied again. While it is set the running system is the rolled-back
// one on purpose: it is not reported as drift, and the next reconcile
// applies the branch again even if its configuration did not change.
type RolledBack struct {
	System     string    `json:"system"`
	Generation int       `json:"generation,omitempty"`
	From       string    `json:"from,omitempty"`
	At         time.Time `json:"at"`
	By         string    `json:"by,omitempty"`
}

// PendingBoot is a system berth made the boot default without switching
// to it (its switch inhibitors changed): it runs after the next reboot,
// and is verified then. Until then the running system differs from the
// applied one without that being drift.
type PendingBoot struct {
	System string `json:"system"`
	// Previous is the system that ran when it was installed: the one to
	// go back to if it fails after the reboot.
	Previous string    `json:"previous"`
	Why      string    `json:"why"`
	Since    time.Time `json:"since"`
	// PreviousApplied is the configuration applied before; it is applied
	// again if the system fails after the reboot.
	PreviousApplied *Revision `json:"previous_applied,omitempty"`
	// Rejected, set when the pending system is the way back from one that
	// failed after its reboot, is that failure: verifying the way back
	// must not forget it.
	Rejected *Rejection `json:"rejected,omitempty"`
}
