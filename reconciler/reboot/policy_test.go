package reboot

import (
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	night, _ := ParseWindow("03:00-05:00")
	always := Policy{Window: &night, Delay: 5 * time.Minute}
	withSessions := always
	withSessions.AllowWithSessions = true
	in, out := day("03:30"), day("12:00")
	tests := []struct {
		name string
		p    Policy
		f    Facts
		want Decision
	}{
		{"policy never", Policy{Delay: time.Minute}, Facts{Now: in, Needed: true}, Decision{Action: Idle}},
		{"not needed", always, Facts{Now: in}, Decision{Action: Idle}},
		{"outside the window", always, Facts{Now: out, Needed: true},
			Decision{Action: Wait, At: day("03:00").AddDate(0, 0, 1), Expected: day("03:05").AddDate(0, 0, 1), Why: "waiting for the reboot window 03:00-05:00"}},
		{"window closed during the delay", always, Facts{Now: day("05:01"), Needed: true, Announced: day("05:01")},
			Decision{Action: Wait, At: day("03:00").AddDate(0, 0, 1), Expected: day("03:05").AddDate(0, 0, 1), Why: "waiting for the reboot window 03:00-05:00"}},
		{"paused", always, Facts{Now: in, Needed: true, Held: true},
			Decision{Action: Wait, At: day("03:31"), Why: "reconciles are paused"}},
		{"user logged in", always, Facts{Now: in, Needed: true, Sessions: 2},
			Decision{Action: Wait, At: day("03:31"), Why: "waiting for 2 user session(s) to end"}},
		{"user logged in during the delay withdraws the warning", always, Facts{Now: in, Needed: true, Sessions: 1, Announced: day("03:32")},
			Decision{Action: Wait, At: day("03:31"), Why: "waiting for 1 user session(s) to end"}},
		{"sessions allowed", withSessions, Facts{Now: in, Needed: true, Sessions: 1},
			Decision{Action: Announce, At: day("03:35"), Expected: day("03:35"), Warning: day("03:35")}},
		{"warn first", always, Facts{Now: in, Needed: true},
			Decision{Action: Announce, At: day("03:35"), Expected: day("03:35"), Warning: day("03:35")}},
		{"during the delay", always, Facts{Now: in, Needed: true, Announced: day("03:35")},
			Decision{Action: Wait, At: day("03:35"), Expected: day("03:35"), Why: "users were warned", Warning: day("03:35")}},
		{"delay over", always, Facts{Now: day("03:35"), Needed: true, Announced: day("03:35")},
			Decision{Action: Reboot, Expected: day("03:35"), Warning: day("03:35")}},
		{"no longer needed (reverted)", always, Facts{Now: day("03:35"), Announced: day("03:35")}, Decision{Action: Idle}},
	}
	for _, tt := range tests {
		if got := tt.p.Decide(tt.f); got != tt.want {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}
