package config

import (
	"strings"
	"testing"
	"time"
)

func TestRebootConfig(t *testing.T) {
	tests := []struct {
		name, yaml string
		err        string
	}{
		{"defaults", "", ""},
		{"window", "reboot:\n  policy: window\n  window: \"23:30-01:00\"\n  delay: 1s\n", ""},
		{"window missing", "reboot:\n  policy: window\n", "reboot.window"},
		{"bad window", "reboot:\n  policy: window\n  window: 3-5\n", "reboot.window"},
		{"bad window with never", "reboot:\n  window: \"25:00-01:00\"\n", "reboot.window"},
		{"bad policy", "reboot:\n  policy: always\n", "reboot.policy"},
		{"negative delay", "reboot:\n  delay: -1s\n", "reboot.delay"},
		{"unknown key", "reboot:\n  when: now\n", "when"},
		{"power and notify", "power:\n  defer_on_battery: true\nnotify:\n  enabled: true\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("berth.yaml", []byte(minimal+tt.yaml))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if (tt.err == "") != (err == nil) || !strings.Contains(got, tt.err) {
				t.Errorf("got %v, want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestRebootDefaults(t *testing.T) {
	c, err := Parse("berth.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Reboot.Policy != "never" || c.Reboot.Delay != 5*time.Minute || c.Notify.Enabled || c.Power.DeferOnBattery {
		t.Errorf("got %+v %+v %+v, want policy never, delay 5m, notify and power off", c.Reboot, c.Notify, c.Power)
	}
}
