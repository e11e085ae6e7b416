package logind

import (
	"reflect"
	"testing"
)

func TestUsersAndGraphical(t *testing.T) {
	all := []Session{
		{ID: "1", UID: 1000, Class: "user", Type: "wayland", State: "active"},
		{ID: "2", UID: 1001, Class: "user", Type: "tty", State: "online"},
		{ID: "3", UID: 0, Class: "user", Type: "tty", State: "closing"},
		{ID: "c1", UID: 102, Class: "greeter", Type: "x11", State: "online"},
		{ID: "4", UID: 1002, Class: "background", Type: "unspecified", State: "online"},
		{ID: "5", UID: 1003, Class: "user", Type: "x11", State: "online"},
		{ID: "6", UID: 1004, Class: "lock-screen", Type: "x11", State: "active"},
	}
	ids := func(ss []Session) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	if got, want := ids(Users(all)), []string{"1", "2", "5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Users: got %v, want %v", got, want)
	}
	if got, want := ids(Graphical(all)), []string{"1", "5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Graphical: got %v, want %v", got, want)
	}
}
