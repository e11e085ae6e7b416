package nixos

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSwitchInhibited(t *testing.T) {
	sys := func(json string) string {
		d := t.TempDir()
		if json != "" {
			os.WriteFile(filepath.Join(d, InhibitorsFile), []byte(json), 0o644)
		}
		return d
	}
	running := sys(`{"systemd":"/nix/store/a-systemd-256","dbus":"/nix/store/d-dbus","gone":"x"}`)
	for _, tc := range []struct {
		name, next string
		want       string
	}{
		{"same", `{"systemd":"/nix/store/a-systemd-256","dbus":"/nix/store/d-dbus"}`, ""},
		{"systemd changed", `{"systemd":"/nix/store/b-systemd-257","dbus":"/nix/store/d-dbus","new":"y"}`, "switch inhibitors changed: systemd"},
		{"two changed", `{"systemd":"s2","dbus":"d2"}`, "switch inhibitors changed: dbus, systemd"},
		{"no file", "", ""},
	} {
		changes, err := SwitchInhibited(running, sys(tc.next))
		got := ""
		if len(changes) > 0 {
			got = DescribeInhibitors(changes)
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := SwitchInhibited(running, sys(`not json`)); err == nil {
		t.Errorf("a malformed file: got no error")
	}
}
