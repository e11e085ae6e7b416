package nixos

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-nix/berth/internal/fault"
)

// CurrentSystem returns the store path of the running system, the target
// of <root>/run/current-system. root is "" or "/" on a real host and a
// scratch directory in tests; it applies only to the first link, whose
// targets are followed as they are (absolute store paths on NixOS).
func CurrentSystem(root string) (string, error) {
	return resolveSystemLink(filepath.Join(rootDir(root), "run/current-system"))
}

// BootedSystem returns the store path of the system the machine booted,
// the target of <root>/run/booted-system.
func BootedSystem(root string) (string, error) {
	return resolveSystemLink(filepath.Join(rootDir(root), "run/booted-system"))
}

func rootDir(root string) string {
	if root == "" {
		return "/"
	}
	return root
}

// maxLinks bounds symlink chains, as the kernel's ELOOP does.
const maxLinks = 40

// resolveSystemLink follows link until it reaches a store path. The store
// path itself need not exist on this machine, so tests can point links at
// made-up store paths.
func resolveSystemLink(link string) (string, error) {
	p := link
	for range maxLinks {
		target, err := os.Readlink(p)
		if err != nil {
			return "", fmt.Errorf("system link %s: %w", link, err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		if IsStorePath(target) {
			return target, nil
		}
		p = target
	}
	return "", fmt.Errorf("system link %s: more than %d links without reaching a store path", link, maxLinks)
}

// CheckSystem returns a Stalling error unless toplevel looks like a NixOS
// system closure: an executable bin/switch-to-configuration and a
// nixos-version file. It is meant for a freshly built revision, so a
// mismatch means the configuration does not describe a NixOS system.
func CheckSystem(toplevel string) error {
	stc := filepath.Join(toplevel, "bin/switch-to-configuration")
	if !isExecutable(stc) {
		return fault.Stallingf("%s is not a NixOS system: no executable bin/switch-to-configuration", toplevel)
	}
	if _, err := os.Stat(filepath.Join(toplevel, "nixos-version")); err != nil {
		return fault.Stallingf("%s is not a NixOS system: no nixos-version: %w", toplevel, err)
	}
	return nil
}

// bootParts are the parts of a system closure that only take effect after
// a reboot; NixOS's own auto-upgrade compares the same three.
var bootParts = []string{"kernel", "initrd", "kernel-modules"}

// RebootNeeded compares the kernel, initrd and kernel modules of two
// system closures by the store paths their links resolve to, and returns
// the names of the parts that differ. A part missing from both closures
// (e.g. a container system) is equal; missing from one, it differs.
func RebootNeeded(booted, next string) (bool, []string, error) {
	for _, top := range []string{booted, next} {
		if _, err := os.Stat(top); err != nil {
			return false, nil, fmt.Errorf("system %s: %w", top, err)
		}
	}
	var differ []string
	for _, part := range bootParts {
		a, err := resolvePart(booted, part)
		if err != nil {
			return false, nil, err
		}
		b, err := resolvePart(next, part)
		if err != nil {
			return false, nil, err
		}
		if a != b {
			differ = append(differ, part)
		}
	}
	return len(differ) > 0, differ, nil
}

// resolvePart returns the fully resolved target of toplevel/part, or ""
// when the closure has no such part.
func resolvePart(toplevel, part string) (string, error) {
	p, err := filepath.EvalSymlinks(filepath.Join(toplevel, part))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("system %s: %s: %w", toplevel, part, err)
	}
	return p, nil
}
