// Package reboot decides when the agent may restart the machine so that a
// new kernel, initrd or kernel modules take effect, and carries that out.
//
// The policy is "never" (the default: status only says a reboot is
// needed) or a daily window in local time. Inside the window the user is
// warned, the agent waits a delay, checks the window, the user sessions
// and the need again, and reboots while holding the reconcile lock, so a
// reboot never cuts through an attempt.
package reboot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window is a daily span of local wall-clock time. End before Start means
// the window crosses midnight ("22:00-02:00"); Start equal to End is
// refused by ParseWindow.
type Window struct {
	// Start and End are offsets from midnight.
	Start, End time.Duration
}

// ParseWindow reads "HH:MM-HH:MM" (24-hour clock, local time).
func ParseWindow(s string) (Window, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Window{}, fmt.Errorf("window %q: want HH:MM-HH:MM", s)
	}
	start, err := parseClock(from)
	if err != nil {
		return Window{}, fmt.Errorf("window %q: start: %w", s, err)
	}
	end, err := parseClock(to)
	if err != nil {
		return Window{}, fmt.Errorf("window %q: end: %w", s, err)
	}
	if start == end {
		return Window{}, fmt.Errorf("window %q: start and end are equal", s)
	}
	return Window{Start: start, End: end}, nil
}

// parseClock reads "HH:MM" into an offset from midnight; "24:00" is
// accepted as the end of the day.
func parseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// String formats the window as ParseWindow reads it.
func (w Window) String() string {
	return clock(w.Start) + "-" + clock(w.End)
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// Contains reports whether t's wall-clock time in its location lies in
// the window; the start is inside, the end is not.
func (w Window) Contains(t time.Time) bool {
	d := sinceMidnight(t)
	if w.Start < w.End {
		return d >= w.Start && d < w.End
	}
	return d >= w.Start || d < w.End
}

// NextOpen returns t when the window contains t, else the next time the
// window opens. Days are counted on the calendar of t's location, so a
// daylight-saving change moves the instant, not the wall-clock time.
func (w Window) NextOpen(t time.Time) time.Time {
	if w.Contains(t) {
		return t
	}
	y, mo, d := t.Date()
	open := at(y, mo, d, w.Start, t.Location())
	if !open.After(t) {
		open = at(y, mo, d+1, w.Start, t.Location())
	}
	return open
}

func at(y int, mo time.Month, d int, off time.Duration, loc *time.Location) time.Time {
	return time.Date(y, mo, d, int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, loc)
}

func sinceMidnight(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}
