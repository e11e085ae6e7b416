package power

import (
	"os"
	"path/filepath"
	"testing"
)

// sysfs writes a fake power supply class: supply name → attribute → value.
func sysfs(t *testing.T, supplies map[string]map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, attrs := range supplies {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for k, v := range attrs {
			if err := os.WriteFile(filepath.Join(dir, k), []byte(v+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

var (
	acOnline  = map[string]string{"type": "Mains", "online": "1"}
	acOffline = map[string]string{"type": "Mains", "online": "0"}
)

func battery(status string) map[string]string {
	return map[string]string{"type": "Battery", "present": "1", "status": status, "capacity": "54"}
}

func TestDeferral(t *testing.T) {
	tests := []struct {
		name     string
		supplies map[string]map[string]string
		want     bool
		reason   string
	}{
		{"no supplies (desktop, VM)", nil, false, ""},
		{"laptop on AC, charging", map[string]map[string]string{"AC": acOnline, "BAT0": battery("Charging")}, false, ""},
		{"laptop on AC, full", map[string]map[string]string{"AC": acOnline, "BAT0": battery("Full")}, false, ""},
		{"laptop unplugged", map[string]map[string]string{"AC": acOffline, "BAT0": battery("Discharging")}, true, "on battery: BAT0 at 54% discharging"},
		{"charger offline, status not yet updated", map[string]map[string]string{"AC": acOffline, "BAT0": battery("Unknown")}, true, "on battery: no charger online (BAT0 at 54%)"},
		{"USB-C charger online", map[string]map[string]string{"ucsi-source-psy-1": {"type": "USB", "online": "1"}, "BAT0": battery("Charging")}, false, ""},
		{"discharging although AC online (weak charger)", map[string]map[string]string{"AC": acOnline, "BAT0": battery("Discharging")}, true, "on battery: BAT0 at 54% discharging"},
		{"no charger listed, battery idle", map[string]map[string]string{"BAT0": battery("Not charging")}, false, ""},
		{"desktop with a wireless mouse", map[string]map[string]string{"hidpp_battery_0": {"type": "Battery", "scope": "Device", "status": "Discharging"}}, false, ""},
		{"battery slot empty", map[string]map[string]string{"AC": acOffline, "BAT1": {"type": "Battery", "present": "0"}}, false, ""},
		{"UPS only", map[string]map[string]string{"ups": {"type": "UPS", "status": "Discharging"}}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := Deferral(sysfs(t, tt.supplies))()
			if got != tt.want || reason != tt.reason {
				t.Errorf("got %v %q, want %v %q", got, reason, tt.want, tt.reason)
			}
		})
	}
}

func TestReadMissingClass(t *testing.T) {
	s, err := Read(filepath.Join(t.TempDir(), "absent"))
	if err != nil || len(s) != 0 {
		t.Errorf("got %v %v, want no supplies and no error", s, err)
	}
}

func TestReadAttributes(t *testing.T) {
	root := sysfs(t, map[string]map[string]string{"BAT0": battery("Discharging"), "AC": acOffline})
	s, err := Read(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Supply{
		{Name: "AC", Type: "Mains", Online: "0", Present: true},
		{Name: "BAT0", Type: "Battery", Status: "Discharging", Capacity: "54", Present: true},
	}
	if len(s) != len(want) || s[0] != want[0] || s[1] != want[1] {
		t.Errorf("got %+v, want %+v", s, want)
	}
}
