// Package power tells whether the machine runs on battery, from the
// kernel's power supply class (/sys/class/power_supply).
package power

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultRoot is where the kernel lists power supplies.
const DefaultRoot = "/sys/class/power_supply"

// Supply is what the kernel says about one power supply.
type Supply struct {
	Name string
	// Type is "Mains", "Battery", "USB", "UPS", ...
	Type string
	// Online is the online attribute of a charger ("1"), Status the status
	// of a battery ("Discharging"), Capacity its charge in percent; each is
	// empty when the kernel does not report it.
	Online, Status, Capacity string
	// Present is false only when the supply says present=0.
	Present bool
	// Scope is "Device" for the battery of a peripheral (a wireless mouse),
	// which says nothing about the machine's own power.
	Scope string
}

// Read lists the supplies under root (DefaultRoot when empty), sorted by
// name. No power supply class (a VM, a desktop) is no supplies.
func Read(root string) ([]Supply, error) {
	if root == "" {
		root = DefaultRoot
	}
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("power supplies: %w", err)
	}
	var out []Supply
	for _, e := range entries {
		out = append(out, readSupply(filepath.Join(root, e.Name())))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func readSupply(dir string) Supply {
	attr := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	return Supply{Name: filepath.Base(dir), Type: attr("type"), Online: attr("online"), Status: attr("status"),
		Capacity: attr("capacity"), Present: attr("present") != "0", Scope: attr("scope")}
}
