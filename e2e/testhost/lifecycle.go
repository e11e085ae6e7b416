package testhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stateDir holds one directory per live host. Hosts left behind by a test
// binary that died without running its cleanups are swept on the next Boot.
func stateDir() string {
	dir := filepath.Join("/var/tmp", "berth-testhost")
	os.MkdirAll(dir, 0o700)
	return dir
}

// mountOverlay mounts dir/root as an overlay: image below, dir/upper above.
func mountOverlay(image, dir string) error {
	for _, d := range []string{"upper", "work", "root"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work", image, dir, dir)
	if err := syscall.Mount("overlay", filepath.Join(dir, "root"), "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting overlay over %s: %w", image, err)
	}
	return nil
}

// unmount detaches root, retrying while the last container processes
// release it, and never leaves it mounted.
func unmount(root string) error {
	for i := 0; i < 20; i++ {
		err := syscall.Unmount(root, 0)
		if err == nil || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) {
			return fmt.Errorf("unmounting %s: %w", root, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := syscall.Unmount(root, syscall.MNT_DETACH); err != nil {
		return fmt.Errorf("unmounting %s (busy, then lazily): %w", root, err)
	}
	return nil
}

// findLeader waits for the container's PID 1 to appear among
// systemd-nspawn's descendants and records it.
func (h *Host) findLeader() error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, pid := range descendants(h.nspawn.Process.Pid) {
			if isNamespaceInit(pid) {
				h.leader = pid
				return writeProcFile(filepath.Join(h.dir, "leader"), pid)
			}
		}
		select {
		case <-h.done:
			return fmt.Errorf("systemd-nspawn exited before the container started (%v):\n%s", h.nspawn.ProcessState, tail(h.Console(), 30))
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("no container init under systemd-nspawn (pid %d) after 20s", h.nspawn.Process.Pid)
}

// teardown kills every process of the host, unmounts its root and removes
// its directory. On a failed test it first logs what systemd knows.
func (h *Host) teardown(t testing.TB) {
	if t.Failed() && h.leader != 0 {
		h.logDiagnostics(t)
	}
	h.kill()
	if err := removeCgroups(h.cgroups); err != nil {
		t.Errorf("host %s teardown: %v", h.Name, err)
	}
	// nspawn refuses to remove its mount propagation directory when /run
	// is not a tmpfs (as on machines without systemd); it is empty by now.
	os.Remove(filepath.Join("/run/systemd/nspawn/propagate", h.Name))
	if err := unmount(h.root); err != nil {
		t.Errorf("host %s teardown: %v", h.Name, err)
		return
	}
	if err := os.RemoveAll(h.dir); err != nil {
		t.Errorf("host %s teardown: %v", h.Name, err)
	}
}

// kill ends the container. SIGKILL to a PID namespace's init kills every
// process in it; nspawn then exits. Descendants of nspawn are killed too
// in case the container init was never found.
func (h *Host) kill() {
	if h.nspawn == nil || h.nspawn.Process == nil {
		return
	}
	if h.leader != 0 {
		syscall.Kill(h.leader, syscall.SIGKILL)
	}
	for _, pid := range descendants(h.nspawn.Process.Pid) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	select {
	case <-h.done:
		return
	case <-time.After(15 * time.Second):
	}
	h.nspawn.Process.Kill()
	<-h.done
}

// logDiagnostics runs during cleanup, when t.Context is already canceled.
func (h *Host) logDiagnostics(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := h.Exec(ctx, "systemctl", "--failed", "--no-legend", "--plain")
	t.Logf("host %s failed units:\n%s", h.Name, out)
	out, _ = h.Exec(ctx, "journalctl", "--no-pager", "-b", "-n", "60")
	t.Logf("host %s journal (last 60 lines):\n%s", h.Name, out)
}

// ownerPrefix names host directories after the process that owns them
// ("host-<pid>.<starttime>-"), so a sweep can tell a live host from one
// whose test binary died, with no window in which the owner is unknown.
func ownerPrefix() string {
	return fmt.Sprintf("host-%d.%s-", os.Getpid(), procStart(os.Getpid()))
}

// ownerAlive reports whether the process named in a host directory's name
// still runs.
func ownerAlive(dir string) bool {
	name, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), "host-"), "-")
	pid, start, _ := strings.Cut(name, ".")
	n, err := strconv.Atoi(pid)
	return err == nil && start != "" && procStart(n) == start
}

// writeProcFile stores "pid starttime": the pair identifies a process
// even after its PID is reused.
func writeProcFile(path string, pid int) error {
	return os.WriteFile(path, []byte(fmt.Sprintf("%d %s\n", pid, procStart(pid))), 0o600)
}

// readProcFile reports the PID stored by writeProcFile, if that process is
// still alive.
func readProcFile(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, false
	}
	pid, err := strconv.Atoi(f[0])
	return pid, err == nil && procStart(pid) == f[1] && f[1] != ""
}
