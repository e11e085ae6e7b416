package testhost

// RebootExitStatus is systemd-nspawn's exit status when the container's
// systemd rebooted (a poweroff exits 0). The harness does not boot the
// host again: a test sees the reboot as the container ending with it.
const RebootExitStatus = 133

// Exited is closed once systemd-nspawn has exited: the host rebooted,
// powered off, or was killed. Teardown copes with a host already gone.
func (h *Host) Exited() <-chan struct{} { return h.done }

// ExitStatus is systemd-nspawn's exit status, -1 while it runs or when it
// was killed by a signal.
func (h *Host) ExitStatus() int {
	select {
	case <-h.done:
		return h.nspawn.ProcessState.ExitCode()
	default:
		return -1
	}
}
