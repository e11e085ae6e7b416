// Package hostname owns how berth names the hosts of a fleet: what a host
// name may be, how a {hostname} template expands, and which hosts a host
// directory template finds. The agent's configuration, publish, build-fleet
// and fleet status all use it, so that they agree on every name.
package hostname

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Placeholder is what a template replaces with a host's name.
const Placeholder = "{hostname}"

// DefaultHostDir is where a host's directory is inside a fleet's
// repository unless configured otherwise (source.host_dir, --host-dir).
const DefaultHostDir = "hosts/" + Placeholder

// Rule describes a valid host name to a person.
const Rule = "letters, digits, - and _, up to 63, not starting with - or _"

// Valid reports whether name is a host name berth accepts: what NixOS
// accepts for networking.hostName, and what is safe as one path element
// and inside a flake attribute.
func Valid(name string) bool {
	if len(name) == 0 || len(name) > 63 || !alnum(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !alnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// Check returns an error naming the host when its name is not Valid.
func Check(name string) error {
	if Valid(name) {
		return nil
	}
	return fmt.Errorf("host %q: not a valid host name (%s)", name, Rule)
}

// Expand replaces every {hostname} in template with host.
func Expand(template, host string) string {
	return strings.ReplaceAll(template, Placeholder, host)
}

// Split cuts a host directory template at its {hostname}, which must be
// there once and be a whole path element: "hosts/{hostname}/nixos" gives
// "hosts" and "nixos".
func Split(dirTemplate string) (parent, rest string, err error) {
	elems := strings.Split(path.Clean(filepath.ToSlash(dirTemplate)), "/")
	at := slices.Index(elems, Placeholder)
	if at < 0 || strings.Count(dirTemplate, Placeholder) != 1 {
		return "", "", fmt.Errorf("host directory %q: must hold %s once, as a whole path element", dirTemplate, Placeholder)
	}
	return path.Join(elems[:at]...), path.Join(elems[at+1:]...), nil
}

// List returns, sorted, the valid host names for which the template
// names a directory below root (symbolic links to directories count).
func List(root, dirTemplate string) ([]string, error) {
	parent, _, err := Split(dirTemplate)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(filepath.Join(root, parent))
	if err != nil {
		return nil, err
	}
	var hosts []string
	for _, e := range ents {
		if !Valid(e.Name()) {
			continue
		}
		if fi, err := os.Stat(filepath.Join(root, Expand(dirTemplate, e.Name()))); err == nil && fi.IsDir() {
			hosts = append(hosts, e.Name())
		}
	}
	return hosts, nil
}

// Sorted returns the names sorted, each once, after checking every one.
func Sorted(names []string) ([]string, error) {
	for _, h := range names {
		if err := Check(h); err != nil {
			return nil, err
		}
	}
	names = slices.Clone(names)
	slices.Sort(names)
	return slices.Compact(names), nil
}
