// Package fleetinit writes a new fleet repository, or a new host in one,
// in the layout berth's sources, berth publish and berth build-fleet
// read: hosts/<host>/ is a flake per host that reaches the shared
// modules/common/ through the symlink hosts/<host>/common. It never
// overwrites anything.
package fleetinit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-nix/berth/internal/hostname"
)

// NixOSRelease is the nixpkgs branch the host flakes follow: the current
// stable NixOS release.
const NixOSRelease = "nixos-26.05"

// StateVersion is system.stateVersion for hosts installed with
// NixOSRelease.
func StateVersion() string { return strings.TrimPrefix(NixOSRelease, "nixos-") }

// Layout of the repository, as the default host_dir (hosts/{hostname})
// and the fixture fleets use it.
const (
	HostsDir   = "hosts"
	ModulesDir = "modules/common"
	// LinkName is the symlink in each host directory to ModulesDir.
	LinkName = "common"
)

// Defaults of Options.
const (
	DefaultURL    = "https://git.example.org/admin/fleet.git"
	DefaultBranch = "main"
)

// Options say what to write.
type Options struct {
	// Dir is the repository's root; it may exist (a fresh clone).
	Dir string
	// Hosts get a directory each.
	Hosts []string
	// URL and Branch are where the agents fetch from; DefaultURL and
	// DefaultBranch when empty.
	URL, Branch string
}

// entry is one thing to write: a file with its text, or a symlink.
type entry struct {
	rel  string
	text string
	link string
}

// Init writes a fleet repository with the shared modules, a README and
// one directory per host. It refuses, naming the path, when any path it
// would write exists, and then writes nothing.
func Init(o Options) error {
	if o.URL == "" {
		o.URL = DefaultURL
	}
	if o.Branch == "" {
		o.Branch = DefaultBranch
	}
	if len(o.Hosts) == 0 {
		return errors.New("init: name at least one host (--host NAME)")
	}
	if err := checkHosts(o.Hosts); err != nil {
		return err
	}
	entries := []entry{
		{rel: "README.md", text: readme(o)},
		{rel: ModulesDir + "/default.nix", text: commonDefault()},
		{rel: ModulesDir + "/berth.nix", text: commonBerth(o)},
	}
	for _, h := range o.Hosts {
		entries = append(entries, hostEntries(h)...)
	}
	return write(o.Dir, entries)
}

// AddHost writes the directory of one more host into the fleet
// repository at dir, which must have the shared modules directory.
func AddHost(dir, host string) error {
	if err := checkHosts([]string{host}); err != nil {
		return err
	}
	mods := filepath.Join(dir, ModulesDir)
	if fi, err := os.Stat(mods); err != nil || !fi.IsDir() {
		return fmt.Errorf("init: %s is not a fleet repository: %s is not a directory (berth init DIR --host NAME makes one)", dir, mods)
	}
	return write(dir, hostEntries(host))
}

// HostDir is the directory of host in the repository.
func HostDir(host string) string { return HostsDir + "/" + host }

func hostEntries(h string) []entry {
	d := HostDir(h) + "/"
	return []entry{
		{rel: d + "flake.nix", text: hostFlake(h)},
		{rel: d + "configuration.nix", text: hostConfiguration(h)},
		{rel: d + "hardware-configuration.nix", text: hostHardware(h)},
		{rel: d + LinkName, link: "../../" + ModulesDir},
		{rel: d + "files/etc/fleet/README", text: hostFilesReadme(h)},
		{rel: d + "files.yaml", text: filesYAML},
		{rel: d + "berth-checks.yaml", text: checksYAML},
	}
}

func checkHosts(hosts []string) error {
	for i, h := range hosts {
		if !hostname.Valid(h) {
			return fmt.Errorf("init: host %q: not a valid host name (letters, digits, '-' and '_', starting with a letter or digit, at most 63)", h)
		}
		if slices.Contains(hosts[:i], h) {
			return fmt.Errorf("init: host %q named twice", h)
		}
	}
	return nil
}

// write refuses when any entry's path exists, then writes them all; on a
// failure it removes what it wrote.
func write(root string, entries []entry) error {
	for _, e := range entries {
		p := filepath.Join(root, e.rel)
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("init: %s exists; nothing was written (berth init never overwrites)", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("init: %w", err)
		}
	}
	var made []string
	err := func() error {
		for _, e := range entries {
			p := filepath.Join(root, e.rel)
			dirs, err := mkdirs(filepath.Dir(p))
			made = append(made, dirs...)
			if err != nil {
				return err
			}
			if e.link != "" {
				err = os.Symlink(e.link, p)
			} else {
				err = os.WriteFile(p, []byte(e.text), 0o644)
			}
			if err != nil {
				return fmt.Errorf("init: %w", err)
			}
			made = append(made, p)
		}
		return nil
	}()
	if err != nil {
		for _, p := range slices.Backward(made) {
			os.Remove(p)
		}
	}
	return err
}

// mkdirs makes dir and its missing parents and returns those it made,
// outermost first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		missing = append(missing, d)
	}
	slices.Reverse(missing)
	for i, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil {
			return missing[:i], fmt.Errorf("init: %w", err)
		}
	}
	return missing, nil
}
