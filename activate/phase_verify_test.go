package activate

import (
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

func TestVerdict(t *testing.T) {
	tests := []struct {
		name    string
		o       nixos.Outcome
		newFail []string
		want    string // "" = accepted, else a substring of the error
	}{
		{"clean switch", nixos.Outcome{Done: true, ExitCode: 0, Result: "success"}, nil, ""},
		{"exit 4 with only old failures", nixos.Outcome{Done: true, ExitCode: 4, Result: "exit-code"}, nil, ""},
		{"exit 4 with a new failure", nixos.Outcome{Done: true, ExitCode: 4, Result: "exit-code"}, []string{"web.service"}, "web.service"},
		{"exit 0 but a unit failed after settling", nixos.Outcome{Done: true, Result: "success"}, []string{"late.service"}, "late.service"},
		{"activation script error", nixos.Outcome{Done: true, ExitCode: 1, Result: "exit-code"}, nil, "status 1"},
		{"hung and killed by systemd", nixos.Outcome{Done: true, Result: "timeout", Signal: 15}, nil, "timed out"},
		{"killed by a signal", nixos.Outcome{Done: true, Result: "signal", Signal: 9}, nil, "signal"},
	}
	for _, tt := range tests {
		err := verdict(tt.o, tt.newFail)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: got %v, want accepted", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want an error mentioning %q", tt.name, err, tt.want)
		case err != nil && fault.ClassOf(err) != fault.Stalling:
			t.Errorf("%s: got class %v, want stalling", tt.name, fault.ClassOf(err))
		}
	}
}

func TestOwnUnitsAreLeftOutOfVerdicts(t *testing.T) {
	tests := map[string]bool{
		"berth-test-20260101T000000Z-001.service": true,
		"berth-revert-x.service":                  true,
		"nginx.service":                           false,
		// The agent's own unit failing is a real failure.
		"berth.service": false,
	}
	for name, want := range tests {
		if got := ownUnit(name); got != want {
			t.Errorf("ownUnit(%q): got %v, want %v", name, got, want)
		}
	}
}
