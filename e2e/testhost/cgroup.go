package testhost

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// cgroupFS is where the machine mounts its cgroup hierarchies.
const cgroupFS = "/sys/fs/cgroup"

// cgroupParent holds one cgroup per test host in every hierarchy.
const cgroupParent = "berth-testhost"

// hostCgroups gives a host its own cgroup in every mounted hierarchy (the
// v1 controllers, the named systemd one and the unified one). With no
// systemd outside to put each container in a scope of its own, containers
// started from the same process would otherwise share one cgroup tree, and
// two hosts' units of the same name would share, and tear down, one
// cgroup.
func hostCgroups(name string) ([]string, error) {
	hiers, err := filepath.Glob(filepath.Join(cgroupFS, "*", "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, procs := range hiers {
		parent := filepath.Join(filepath.Dir(procs), cgroupParent)
		dir := filepath.Join(parent, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return dirs, fmt.Errorf("cgroup for host %s: %w", name, err)
		}
		if err := inheritCpuset(filepath.Dir(procs), parent, dir); err != nil {
			return dirs, err
		}
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// inheritCpuset fills a new v1 cpuset cgroup's cpus and mems from the root
// one: a cpuset cgroup without them accepts no process.
func inheritCpuset(root string, dirs ...string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		v, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil // not the cpuset hierarchy
		}
		for _, d := range dirs {
			if err := os.WriteFile(filepath.Join(d, f), v, 0o644); err != nil {
				return fmt.Errorf("cgroup %s: %w", d, err)
			}
		}
	}
	return nil
}

// removeCgroups removes a host's cgroups, deepest first, once its
// processes are gone; the kernel may take a moment to let go of them.
func removeCgroups(dirs []string) error {
	var last error
	for range 50 {
		last = nil
		for _, d := range dirs {
			if err := rmdirTree(d); err != nil {
				last = err
			}
		}
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

// rmdirTree removes the cgroup directories under and including dir. A
// cgroup directory is removed with rmdir alone; its control files go
// with it.
func rmdirTree(dir string) error {
	var subdirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			subdirs = append(subdirs, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Sort(sort.Reverse(sort.StringSlice(subdirs)))
	for _, d := range subdirs {
		if err := syscall.Rmdir(d); err != nil && err != syscall.ENOENT {
			return fmt.Errorf("remove cgroup %s: %w", d, err)
		}
	}
	return nil
}

// intoCgroups prefixes argv with a shell that moves itself into dirs
// before it becomes argv, so the command starts in the host's cgroups.
func intoCgroups(dirs []string, argv []string) []string {
	script := `while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; done; shift; exec "$@"`
	out := append([]string{"/bin/sh", "-c", script, "sh"}, dirs...)
	out = append(out, "--")
	return append(out, argv...)
}

// sweepCgroups removes host cgroups that no process uses any more and
// that are older than a minute (a host being booted right now may not
// have moved into its new cgroups yet): those of hosts whose test binary
// died before its cleanups ran.
func sweepCgroups() {
	dirs, _ := filepath.Glob(filepath.Join(cgroupFS, "*", cgroupParent, "*"))
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < time.Minute || !emptyCgroup(d) {
			continue
		}
		rmdirTree(d)
	}
}

// emptyCgroup reports whether no process is in dir or below it.
func emptyCgroup(dir string) bool {
	empty := true
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "cgroup.procs" {
			return nil
		}
		if b, err := os.ReadFile(p); err != nil || len(b) > 0 {
			empty = false
		}
		return nil
	})
	return empty
}
