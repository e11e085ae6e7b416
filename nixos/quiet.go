package nixos

import (
	"fmt"
	"os"
	"sync/atomic"
)

// Quiet runs nix commands (builds, downloads, profile changes) in a
// transient systemd scope with a low CPU and IO weight, a nice level and
// an optional memory cap, so that a build does not freeze the session of
// the person at the machine. systemd-run --scope execs the command in the
// caller's place: its output, exit status and cancellation are unchanged.
//
// With a nix daemon the builds themselves run in the daemon's cgroup;
// only evaluation and the client are limited then (docs/lifecycle.md).
type Quiet struct {
	// CPUWeight and IOWeight are the scope's weights (1-10000, systemd's
	// default 100); 0 leaves the default.
	CPUWeight, IOWeight int
	// Nice is the nice level of the command (-20..19).
	Nice int
	// MemoryMax caps the scope's memory in bytes; 0 sets no cap.
	MemoryMax int64
	// SystemdRun is the systemd-run binary; "" means systemd-run on PATH.
	SystemdRun string
}

var quietSeq atomic.Int64

func (n *Nix) quiet() *Quiet {
	if n == nil {
		return nil
	}
	return n.Quiet
}

// wrap returns the command line that runs name with args under q; a nil
// q runs it as it is.
func (q *Quiet) wrap(name string, args []string) (string, []string) {
	if q == nil {
		return name, args
	}
	run := q.SystemdRun
	if run == "" {
		run = "systemd-run"
	}
	unit := fmt.Sprintf("berth-nix-%d-%d.scope", os.Getpid(), quietSeq.Add(1))
	argv := []string{"--scope", "--quiet", "--collect", "--unit=" + unit, fmt.Sprintf("--nice=%d", q.Nice)}
	if q.CPUWeight > 0 {
		argv = append(argv, fmt.Sprintf("--property=CPUWeight=%d", q.CPUWeight))
	}
	if q.IOWeight > 0 {
		argv = append(argv, fmt.Sprintf("--property=IOWeight=%d", q.IOWeight))
	}
	if q.MemoryMax > 0 {
		argv = append(argv, fmt.Sprintf("--property=MemoryMax=%d", q.MemoryMax))
	}
	argv = append(append(argv, "--", name), args...)
	return run, argv
}
