package nixos

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"syscall"
)

// SwitchLock is the lock switch-to-configuration holds while it runs.
//
// NixOS's switch-to-configuration opens it (creating it) and takes an
// exclusive, non-blocking flock before it changes anything; when another
// process holds it, it prints "Could not acquire lock" and exits with
// the errno (11, EWOULDBLOCK) at once. A caller cannot hold the lock
// across the call: the switch opens the file itself, and a flock taken
// through another open of the file conflicts with it.
const SwitchLock = "/run/nixos/switch-to-configuration.lock"

// SwitchLockHeld reports whether another process holds the flock on path
// ("" means SwitchLock), i.e. an activation is in progress. It tries a
// non-blocking exclusive lock and releases it at once; a missing file
// means nobody holds it. The file is never created.
func SwitchLockHeld(path string) (bool, error) {
	if path == "" {
		path = SwitchLock
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("switch lock %s: %w", path, err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("switch lock %s: %w", path, err)
	}
	return false, syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// RefusedByLock reports whether a switch that ended as o, printing
// output, was refused because another switch held SwitchLock: such a
// switch changed nothing.
func RefusedByLock(o Outcome, output []byte) bool {
	return o.Done && o.ExitCode != 0 && bytes.Contains(bytes.ToLower(output), []byte("could not acquire lock"))
}
