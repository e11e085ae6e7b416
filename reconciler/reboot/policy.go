package reboot

import (
	"fmt"
	"time"
)

// Policy is the configured reboot policy. A nil Window means never: the
// need is reported, nothing more.
type Policy struct {
	Window *Window
	// Delay separates the warning from the reboot.
	Delay time.Duration
	// AllowWithSessions reboots even while users are logged in.
	AllowWithSessions bool
}

// Facts are what the scheduler knows when it decides.
type Facts struct {
	Now time.Time
	// Needed: the running system's kernel, initrd or modules differ from
	// the booted one.
	Needed bool
	// Held: reconciles are paused; a pause holds reboots too.
	Held bool
	// Sessions counts active or online user sessions.
	Sessions int
	// Announced is when the last warning said the reboot would happen;
	// zero when no warning stands.
	Announced time.Time
}

// Action is what the scheduler does next.
type Action int

const (
	// Idle: nothing to do until something changes.
	Idle Action = iota
	// Wait: decide again at Decision.At.
	Wait
	// Announce: warn the users that the machine reboots at Decision.At.
	Announce
	// Reboot now.
	Reboot
)

// Decision is the outcome of Decide. At is when to decide again (Wait) or
// when the reboot is due (Announce); Expected is the earliest the reboot
// can happen as things stand, for status (zero when unknown); Why explains a wait. Warning is
// the warning that stands after the decision: zero withdraws it, so that
// users are warned again, and the delay starts again, once the reboot is
// allowed again.
type Decision struct {
	Action   Action
	At       time.Time
	Expected time.Time
	Why      string
	Warning  time.Time
}

// recheck is how often a reboot held by sessions or a pause is reconsidered.
const recheck = time.Minute

// Decide is the reboot policy as a pure function. The window is checked
// on every decision, so a delay that runs past the window's end moves the
// reboot to the next window; a warning stands only while nothing blocks
// the reboot.
func (p Policy) Decide(f Facts) Decision {
	switch {
	case p.Window == nil || !f.Needed:
		return Decision{Action: Idle}
	case !p.Window.Contains(f.Now):
		open := p.Window.NextOpen(f.Now)
		return Decision{Action: Wait, At: open, Expected: open.Add(p.Delay), Why: "waiting for the reboot window " + p.Window.String()}
	case f.Held:
		return p.wait(f.Now, "reconciles are paused")
	case f.Sessions > 0 && !p.AllowWithSessions:
		return p.wait(f.Now, fmt.Sprintf("waiting for %d user session(s) to end", f.Sessions))
	case f.Announced.IsZero():
		due := f.Now.Add(p.Delay)
		return Decision{Action: Announce, At: due, Expected: due, Warning: due}
	case f.Now.Before(f.Announced):
		return Decision{Action: Wait, At: f.Announced, Expected: f.Announced, Why: "users were warned", Warning: f.Announced}
	}
	return Decision{Action: Reboot, Expected: f.Now, Warning: f.Announced}
}

// wait holds the reboot for a reason that can end at any moment, so the
// reboot has no expected time.
func (p Policy) wait(now time.Time, why string) Decision {
	return Decision{Action: Wait, At: now.Add(recheck), Why: why}
}
