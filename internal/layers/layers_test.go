// Package layers holds the test that keeps berth's import graph pointing
// one way: cmd/berth → reconciler → {source, activate}, activate → {nixos,
// health}. Nothing imports upward.
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
	"source":     {"reconciler", "activate", "cmd"},
	"health":     {"reconciler", "activate", "source", "cmd"},
	"nixos":      {"reconciler", "activate", "source", "health", "cmd"},
	"activate":   {"reconciler", "cmd"},
	"secrets":    {"reconciler", "activate", "source", "health", "nixos", "cmd"},
	"internal":   {"cmd"},
	"reconciler": {"cmd"},
}

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
					if ok && under(d, ban) {
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
