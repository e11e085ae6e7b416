package reboot

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// TryLock takes an exclusive flock on path, the lock the reconciler holds
// for the duration of every reconcile, without waiting. flock locks belong
// to the open file, so this excludes a reconcile in the same process too.
func TryLock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("reconcile lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
