package nixos

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// InhibitorsFile is where a NixOS system (system.switch.inhibitors) keeps
// its switch inhibitors: a JSON object of names and values, such as the
// systemd package. switch-to-configuration test and switch refuse to run
// when an inhibitor present in both the running and the new system has
// another value; boot does not look at them, and NIXOS_NO_CHECK=1 skips
// the check.
const InhibitorsFile = "switch-inhibitors"

// InhibitorChange is one inhibitor whose value differs between two
// systems.
type InhibitorChange struct {
	Name, Old, New string
}

func (c InhibitorChange) String() string { return c.Name }

// ReadInhibitors reads a system's switch inhibitors; a system without the
// file has none (nil, nil).
func ReadInhibitors(toplevel string) (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(toplevel, InhibitorsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s/%s: %w", toplevel, InhibitorsFile, err)
	}
	return m, nil
}

// SwitchInhibited compares the inhibitors of the running system and the
// next one as switch-to-configuration does: an inhibitor both have, with
// different values, refuses a live switch. The changes are sorted by name.
func SwitchInhibited(running, next string) ([]InhibitorChange, error) {
	old, err := ReadInhibitors(running)
	if err != nil {
		return nil, err
	}
	nu, err := ReadInhibitors(next)
	if err != nil {
		return nil, err
	}
	var changes []InhibitorChange
	for name, v := range nu {
		if ov, ok := old[name]; ok && ov != v {
			changes = append(changes, InhibitorChange{Name: name, Old: ov, New: v})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Name < changes[j].Name })
	return changes, nil
}

// DescribeInhibitors names the changed inhibitors for people.
func DescribeInhibitors(changes []InhibitorChange) string {
	names := make([]string, len(changes))
	for i, c := range changes {
		names[i] = c.Name
	}
	return "switch inhibitors changed: " + strings.Join(names, ", ")
}
