package publish

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/berth-nix/berth/internal/hostname"
)

// LockName is the file in the chroots directory that publishers lock, so
// that two publishes never interleave.
const LockName = ".berth-publish.lock"

// selectHosts returns the hosts to publish, sorted: the named ones, or
// else every host with a directory in the fleet or a chroot.
func (o Options) selectHosts() ([]string, error) {
	if o.Fleet == "" || o.Chroots == "" {
		return nil, fmt.Errorf("publish: both the fleet directory and the chroots directory are required")
	}
	if len(o.Hosts) > 0 {
		hosts, err := hostname.Sorted(o.Hosts)
		if err != nil {
			return nil, fmt.Errorf("publish: %w", err)
		}
		return hosts, nil
	}
	return o.allHosts()
}

// allHosts lists every host with a directory in the fleet and every
// chroot holding a configuration directory. A host whose chroot lacks a
// fleet directory is listed so that its agent learns the fleet no longer
// has it.
func (o Options) allHosts() ([]string, error) {
	if _, _, err := hostname.Split(o.HostDir); err != nil {
		return nil, fmt.Errorf("publish: %w: name the hosts to publish", err)
	}
	fleet, err := hostname.List(o.Fleet, o.HostDir)
	if err != nil {
		return nil, fmt.Errorf("publish: fleet: %w", err)
	}
	chroots, err := hostname.List(o.Chroots, filepath.Join(hostname.Placeholder, o.ConfigDir))
	if err != nil {
		return nil, fmt.Errorf("publish: chroots: %w", err)
	}
	return hostname.Sorted(append(fleet, chroots...))
}

// lock takes the publish lock in the chroots directory, failing at once
// when another publish holds it.
func lock(chroots string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(chroots, LockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("publish: lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("publish: another publish is running (%s is locked): %w", f.Name(), err)
	}
	return func() { f.Close() }, nil
}
