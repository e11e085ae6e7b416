package publish

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
)

// hostRE is what a host name must look like to name a chroot and a
// directory: what NixOS accepts for networking.hostName.
var hostRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

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
		for _, h := range o.Hosts {
			if !hostRE.MatchString(h) {
				return nil, fmt.Errorf("publish: host %q: not a valid host name", h)
			}
		}
		return sortedUnique(o.Hosts), nil
	}
	return o.allHosts()
}

// allHosts lists every host of the fleet (when the host directory
// template ends in {hostname}) and every chroot holding a configuration
// directory. A host whose chroot lacks a fleet directory is listed so
// that its agent learns the fleet no longer has it.
func (o Options) allHosts() ([]string, error) {
	var hosts []string
	parent, base := filepath.Split(o.HostDir)
	if base != "{hostname}" || strings.Contains(parent, "{hostname}") {
		return nil, fmt.Errorf("publish: host directory %q does not end in {hostname}: name the hosts to publish", o.HostDir)
	}
	fleet, err := subdirs(filepath.Join(o.Fleet, parent), "")
	if err != nil {
		return nil, fmt.Errorf("publish: fleet: %w", err)
	}
	chroots, err := subdirs(o.Chroots, o.ConfigDir)
	if err != nil {
		return nil, fmt.Errorf("publish: chroots: %w", err)
	}
	hosts = append(append(hosts, fleet...), chroots...)
	return sortedUnique(hosts), nil
}

// subdirs lists the directories in dir named like hosts that hold inner
// (when inner is not empty). Symbolic links to directories count.
func subdirs(dir, inner string) ([]string, error) {
	list, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range list {
		if !hostRE.MatchString(de.Name()) {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, de.Name(), inner))
		if err == nil && fi.IsDir() {
			out = append(out, de.Name())
		}
	}
	return out, nil
}

func sortedUnique(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
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

// ValidHost reports whether name can name a host: its directory in the
// fleet, its chroot and its networking.hostName.
func ValidHost(name string) bool { return hostRE.MatchString(name) }
