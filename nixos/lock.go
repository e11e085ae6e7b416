package nixos

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"syscall"
)

// SwitchLock is the lock switch-to-configuration holds while it runs.
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
