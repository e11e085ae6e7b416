package testhost

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestUnit(t *testing.T) {
	tests := []struct {
		name    string
		opts    UnitOptions
		want    []string
		wantNot []string
	}{
		{"defaults", UnitOptions{},
			[]string{"Type=notify\n", "NotifyAccess=main\n", "ExecStart=/usr/local/bin/berth agent\n",
				"Restart=on-failure\n", "RestartSec=2\n", "StateDirectory=berth\n",
				"X-RestartIfChanged=false\n", "X-StopOnRemoval=false\n", "Environment=PATH=/usr/local/bin:"},
			[]string{"WatchdogSec"}},
		{"watchdog", UnitOptions{WatchdogSec: 30 * time.Second}, []string{"WatchdogSec=30s\n"}, nil},
		{"args", UnitOptions{Type: "exec", Args: []string{"agent", "--config", "/x.yaml"}},
			[]string{"Type=exec\n", "ExecStart=/usr/local/bin/berth agent --config /x.yaml\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Unit(tt.opts)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("unit lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("unit has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestOwnerAlive(t *testing.T) {
	tests := []struct {
		dir  string
		want bool
	}{
		{"/x/" + ownerPrefix() + "123", true},
		{"/x/host-999999999.1-123", false},
		{"/x/host-1.-123", false},
		{"/x/garbage", false},
	}
	for _, tt := range tests {
		if got := ownerAlive(tt.dir); got != tt.want {
			t.Errorf("ownerAlive(%q): got %v, want %v", tt.dir, got, tt.want)
		}
	}
}

// TestRequire runs this test binary again under different environments and
// checks that Require skips or fails as documented.
func TestRequire(t *testing.T) {
	if os.Getenv("TESTHOST_REQUIRE_PROBE") == "1" {
		Require(t)
		return
	}
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"unset", nil, "--- SKIP"},
		{"zero", []string{"BERTH_E2E=0"}, "--- SKIP"},
		{"set but tools missing", []string{"BERTH_E2E=1", "PATH=/nonexistent"}, "--- FAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRequire$", "-test.v")
			cmd.Env = append([]string{"TESTHOST_REQUIRE_PROBE=1", "PATH=" + os.Getenv("PATH")}, tt.env...)
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("got output\n%s\nwant it to contain %q", out, tt.want)
			}
		})
	}
}
