// Package health judges whether a system is OK: which systemd units
// failed, what state the manager is in, and configurable checks run
// under a deadline.
package health

import (
	"context"
	"fmt"
	"slices"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// FailedUnits returns the names of the units in the "failed" state,
// sorted.
func FailedUnits(ctx context.Context, conn *sd.Conn) ([]string, error) {
	units, err := conn.ListUnitsFilteredContext(ctx, []string{"failed"})
	if err != nil {
		return nil, fmt.Errorf("list failed units: %w", err)
	}
	names := make([]string, 0, len(units))
	for _, u := range units {
		names = append(names, u.Name)
	}
	slices.Sort(names)
	return names, nil
}

// NewFailures returns the units failed in now that were not failed in
// baseline and that ignore (which may be nil) does not exclude, sorted.
// Neither input needs to be sorted.
func NewFailures(baseline, now []string, ignore func(unit string) bool) []string {
	before := make(map[string]bool, len(baseline))
	for _, u := range baseline {
		before[u] = true
	}
	var added []string
	for _, u := range now {
		if before[u] || (ignore != nil && ignore(u)) {
			continue
		}
		before[u] = true
		added = append(added, u)
	}
	slices.Sort(added)
	return added
}
