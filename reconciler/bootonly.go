package reconciler

import "time"

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
}

// awaitingReboot reports whether the running system differs from the
// applied one only because the applied one waits for a reboot.
func (st *State) awaitingReboot() bool {
	return st.PendingBoot != nil && st.Applied != nil && st.PendingBoot.System == st.Applied.Toplevel
}
