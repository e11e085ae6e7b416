package testhost

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// descendants lists every process below pid, parents before children.
func descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children(p) {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// children reads the kernel's per-thread child lists of pid.
func children(pid int) []int {
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var out []int
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(s); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// isNamespaceInit reports whether pid is PID 1 of a nested PID namespace:
// its NSpid line lists more than one PID and the innermost is 1.
func isNamespaceInit(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f, ok := strings.CutPrefix(line, "NSpid:"); ok {
			ids := strings.Fields(f)
			return len(ids) > 1 && ids[len(ids)-1] == "1"
		}
	}
	return false
}

// procStart returns the start time of pid in clock ticks since boot
// (field 22 of /proc/pid/stat), or "" when pid does not exist.
func procStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) may contain spaces; fields after it don't.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// running reports whether pid exists and has not exited: a zombie
// (state Z) has exited, whoever is yet to reap it.
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}

// waitExit waits up to timeout for pid to exit.
func waitExit(pid int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for running(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// sweepStale tears down hosts whose owning test binary is gone (killed by
// a timeout, say, before its cleanups ran).
func sweepStale() {
	dirs, _ := filepath.Glob(filepath.Join(stateDir(), "host-*"))
	for _, dir := range dirs {
		if ownerAlive(dir) {
			continue
		}
		if pid, alive := readProcFile(filepath.Join(dir, "leader")); alive {
			syscall.Kill(pid, syscall.SIGKILL)
			waitExit(pid, 10*time.Second)
		}
		if unmount(filepath.Join(dir, "root")) == nil {
			os.RemoveAll(dir)
		}
	}
	sweepCgroups()
}
