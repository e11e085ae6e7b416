package config

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/activate"
)

func TestHealthDefaults(t *testing.T) {
	c, err := Parse("c.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	specs := c.Health.ReachabilitySpecs()
	if len(specs) != 1 || specs[0].Name != activate.ReachabilityName || specs[0].Deadline != 2*time.Minute {
		t.Errorf("got reachability %+v, want the built-in check on with a 2m deadline", specs)
	}
	if want := 10*time.Minute + 3*time.Second + 5*time.Minute + 2*time.Minute; c.DeadManWindow() != want {
		t.Errorf("got dead-man window %v, want %v", c.DeadManWindow(), want)
	}
	if c.Health.HostChecksFile != "berth-checks.yaml" || !c.Health.DeadMan.Enabled {
		t.Errorf("got %+v, want host checks file and dead-man switch on", c.Health)
	}
}

func TestHealthAndHooksValues(t *testing.T) {
	doc := minimal + `health:
  checks:
    - name: web
      kind: http
      url: http://127.0.0.1:8080/
      deadline: 90s
  reachability:
    enabled: false
  deadman:
    window: 20m
hooks:
  pre:
    - name: inhibit
      command: [/run/current-system/sw/bin/true]
  post:
    - name: notify
      command: [/bin/sh, -c, "echo $BERTH_RESULT"]
      timeout: 10s
`
	c, err := Parse("c.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Health.Checks[0]; got.Phase != "verify" || got.Timeout != 10*time.Second || got.Deadline != 90*time.Second {
		t.Errorf("got check %+v, want defaults filled in", got)
	}
	if len(c.Health.ReachabilitySpecs()) != 0 || c.DeadManWindow() != 20*time.Minute {
		t.Errorf("got reachability %v, window %v; want off and 20m", c.Health.ReachabilitySpecs(), c.DeadManWindow())
	}
	if c.Hooks.Pre[0].Timeout != activate.DefaultHookTimeout || c.Hooks.Post[0].Timeout != 10*time.Second {
		t.Errorf("got hooks %+v, want default and given timeouts", c.Hooks)
	}
}

func TestHealthAndHooksErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"bad check", "health:\n  checks:\n    - name: web\n      kind: http\n", []string{"c.yaml:8", "health.checks", `check 1 ("web")`, "url:"}},
		{"unknown check key", "health:\n  checks:\n    - name: web\n      kind: tcp\n      adress: h:1\n", []string{"line 11", "adress"}},
		{"deadline over max", "health:\n  checks:\n    - {name: a, kind: tcp, address: 'h:1', deadline: 10m}\n", []string{"exceeds health.max_deadline"}},
		{"name clash with built-in", "health:\n  checks:\n    - {name: source-reachable, kind: tcp, address: 'h:1'}\n", []string{"declared twice"}},
		{"short window", "health:\n  deadman:\n    window: 1m\n", []string{"health.deadman.window", "must be longer"}},
		{"reachability over max", "health:\n  reachability:\n    deadline: 1h\n", []string{"health.reachability.deadline"}},
		{"checks file outside", "health:\n  host_checks_file: ../x.yaml\n", []string{"health.host_checks_file"}},
		{"relative hook", "hooks:\n  pre:\n    - {name: a, command: [true]}\n", []string{"hooks.pre", "absolute path"}},
		{"hook without name", "hooks:\n  post:\n    - {command: [/bin/true]}\n", []string{"hooks.post", "name"}},
		{"hook twice", "hooks:\n  post:\n    - {name: a, command: [/bin/true]}\n    - {name: a, command: [/bin/true]}\n", []string{"c.yaml:8: hooks.post", "unique"}},
		{"same name pre and post", "hooks:\n  pre:\n    - {name: a, command: [/bin/true]}\n  post:\n    - {name: a, command: [/bin/true], timeout: -1s}\n", []string{"c.yaml:10: hooks.post", "timeout must be positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(minimal+tt.doc))
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("got %v, want it to contain %q", err, w)
				}
			}
		})
	}
}
