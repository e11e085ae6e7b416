// Package layers holds the test that keeps berth's import graph pointing
// one way: cmd/berth → reconciler (with its features in reconciler/*) →
// {source, activate}, activate → {nixos, health}; config composes, for
// cmd/berth, the sections of the configuration file that the packages
// owning them define (each with its YAML, Validate and String); the admin
// side (fleet, fleetinit, source/publish) uses sources and the formats,
// never the agent's loop or activation;
// internal/ and the formats (report, prebuilt) are ground everything may
// use. The hub (the admin's server) shares only hub/wire with the agent.
// Nothing imports upward.
package layers

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/berth-nix/berth/"

// forbidden lists, for each package prefix, the packages it must never
// depend on, directly or not.
var forbidden = map[string][]string{
	"source":     {"reconciler", "activate", "config", "fleet", "cmd"},
	"health":     {"reconciler", "activate", "source", "config", "fleet", "cmd"},
	"nixos":      {"reconciler", "activate", "source", "health", "config", "fleet", "cmd"},
	"activate":   {"reconciler", "config", "fleet", "cmd"},
	"reconciler": {"config", "fleet", "cmd", "hub"},
	"config":     {"fleet", "cmd"},
	// The admin side never imports the agent's loop or activation.
	"fleet":          {"reconciler", "activate", "config", "cmd"},
	"fleetinit":      {"reconciler", "activate", "config", "cmd"},
	"source/publish": {"reconciler", "activate", "config", "fleet", "cmd"},
	// Formats and ground utilities sit below everything.
	"report":   {"reconciler", "activate", "source", "health", "config", "fleet", "cmd"},
	"prebuilt": {"reconciler", "activate", "source", "health", "config", "fleet", "cmd"},
	"internal": {"reconciler", "activate", "source", "health", "nixos", "report", "config", "fleet", "cmd"},
	"secrets":  {"reconciler", "activate", "source", "health", "nixos", "config", "fleet", "cmd"},
	// The hub is the admin's server: it reads reports in the report
	// format (through hub/wire) and never links the agent's loop or
	// activation.
	"hub": {"reconciler", "activate", "source", "health", "config", "cmd"},
	// The rollout policy and its decisions are pure: the hub and the
	// agent both import them, so they import neither.
	"rollout": {"reconciler", "activate", "source", "health", "nixos", "hub", "config", "cmd", "internal"},
}

// shared are wire formats any package may import despite a ban on their
// parent: the agent speaks the hub's protocol without linking its server.
var shared = map[string]bool{"hub/wire": true}

func TestImportsPointDown(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutPrefix(fields[0], module)
		if !ok {
			continue
		}
		for prefix, bans := range forbidden {
			if !under(pkg, prefix) {
				continue
			}
			checked++
			for _, dep := range fields[1:] {
				d, ok := strings.CutPrefix(dep, module)
				for _, ban := range bans {
					if ok && under(d, ban) && !shared[d] {
						t.Errorf("%s depends on %s: %s must not import %s", pkg, d, prefix, ban)
					}
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages; is the module path %q right?", checked, module)
	}
}

func under(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }
