package notify

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
)

// dialAs connects to the unix socket at path with the effective uid set to
// uid for the connect call alone. A session bus admits only its owner, and
// it learns who connects from the socket's peer credentials, which the
// kernel takes from the connecting thread at connect time. So root
// switches the effective uid of one locked OS thread, connects, and
// switches back; the raw setresuid call changes that thread only (Go's
// syscall.Setresuid would change every thread of the agent).
func dialAs(uid int, path string) (*net.UnixConn, error) {
	if uid == os.Geteuid() {
		return net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	}
	type result struct {
		conn *net.UnixConn
		err  error
	}
	done := make(chan result, 1)
	// A goroutine of its own: should switching back fail, it exits with
	// its thread still locked, and the runtime ends that thread rather
	// than run anything else as the user.
	go func() {
		conn, err := dialLocked(uid, path)
		done <- result{conn, err}
	}()
	r := <-done
	return r.conn, r.err
}

func dialLocked(uid int, path string) (*net.UnixConn, error) {
	runtime.LockOSThread()
	if err := setEUID(uid); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("switching to uid %d: %w", uid, err)
	}
	conn, dialErr := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err := setEUID(0); err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, fmt.Errorf("switching back to root: %w", err)
	}
	runtime.UnlockOSThread()
	return conn, dialErr
}

func setEUID(uid int) error {
	keep := ^uintptr(0) // -1: leave the real and saved uid alone
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, keep, uintptr(uid), keep); e != 0 {
		return e
	}
	return nil
}
