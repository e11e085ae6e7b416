package reboot

import (
	"os"
	"strings"
	"time"

	"github.com/berth-nix/berth/internal/atomicfile"
)

// Plan is the pending automatic reboot, saved for berth status.
type Plan struct {
	// At is when the reboot is due as things stand; zero when it waits
	// for something with no known end (a user session, a pause).
	At time.Time `json:"at,omitzero"`
	// Warned says the users were told the machine reboots at At.
	Warned bool `json:"warned,omitempty"`
	// Why says what the reboot waits for.
	Why string `json:"why,omitempty"`
	// BootID is the boot the plan was made in; a plan from an earlier
	// boot is stale.
	BootID string `json:"boot_id"`
}

// String is the plan as berth status shows it.
func (p Plan) String() string {
	at := p.At.Local().Format("2006-01-02 15:04:05")
	switch {
	case p.Warned:
		return "scheduled at " + at + " (users warned)"
	case p.At.IsZero():
		return "pending: " + p.Why
	}
	return "scheduled at " + at + " (" + p.Why + ")"
}

// PlanStore keeps the plan in a file; an empty Path keeps nothing.
type PlanStore struct{ Path string }

// Load returns the plan made in this boot, or nil.
func (s PlanStore) Load() (*Plan, error) {
	if s.Path == "" {
		return nil, nil
	}
	var p Plan
	ok, err := atomicfile.ReadJSON(s.Path, &p)
	if !ok || err != nil || p.BootID != BootID() {
		return nil, err
	}
	return &p, nil
}

// Save replaces the plan; the boot ID is filled in.
func (s PlanStore) Save(p Plan) error {
	if s.Path == "" {
		return nil
	}
	p.BootID = BootID()
	return atomicfile.WriteJSON(s.Path, p)
}

// Clear removes the plan.
func (s PlanStore) Clear() error {
	if s.Path == "" {
		return nil
	}
	return atomicfile.Remove(s.Path)
}

// BootID identifies the running boot of the machine; "" when unknown.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
