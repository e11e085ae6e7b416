package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testenv"
)

const minimal = `
hostname: laptop1
source:
  git:
    url: https://git.example.org/fleet.git
    token_file: /run/keys/berth-token
`

func TestParseFillsDefaults(t *testing.T) {
	c, err := Parse("config.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Expand(c.Source.HostDir), "hosts/laptop1"; got != want {
		t.Errorf("host dir: got %q, want %q", got, want)
	}
	if got, want := c.Expand(c.Nix.Attribute), "nixosConfigurations.laptop1.config.system.build.toplevel"; got != want {
		t.Errorf("attribute: got %q, want %q", got, want)
	}
	if c.Source.Git.Branch != "main" || c.Activate.Preflight != "baseline" || c.Schedule.Cron != "@every 15m" {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestParseDurationsAndOverrides(t *testing.T) {
	c, err := Parse("c", []byte(minimal+`
schedule:
  cron: "*/5 * * * *"
  jitter: 30s
activation:
  preflight: strict
  test_timeout: 90s
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Schedule.Jitter != 30*time.Second || c.Activate.TestTimeout != 90*time.Second || c.Activate.Preflight != "strict" {
		t.Errorf("overrides lost: %+v", c)
	}
}

func TestParseErrorsNameLineAndKey(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"unknown key", minimal + "  colour: blue\n", []string{"c.yaml", "line 7", "colour"}},
		{"unknown nested key", minimal + "activation:\n  prefligth: strict\n", []string{"line 8", "prefligth"}},
		{"bad preflight", minimal + "activation:\n  preflight: maybe\n", []string{"c.yaml:8", "activation.preflight", "maybe"}},
		{"zero boot timeout", minimal + "activation:\n  preflight: strict\n  boot_timeout: 0s\n", []string{"c.yaml:9", "activation.boot_timeout", "positive"}},
		{"relative profile", minimal + "nix:\n  command: /bin/nix\n  profile: profiles/system\n", []string{"c.yaml:9", "nix.profile", "absolute"}},
		{"no build timeout", minimal + "nix:\n  build_timeout: 0s\n", []string{"c.yaml:8", "nix.build_timeout", "positive"}},
		{"bad duration", minimal + "activation:\n  settle: soon\n", []string{"c.yaml", "soon"}},
		{"bad cron", minimal + "schedule:\n  cron: every day\n", []string{"c.yaml:8", "schedule.cron"}},
		{"no source", "hostname: a\n", []string{"source.git", "no source configured"}},
		{"ssh without known hosts", "hostname: a\nsource:\n  git:\n    url: ssh://git@h/r.git\n    ssh_key_file: /k\n", []string{"c.yaml:3", "known_hosts_file", "never trusts"}},
		{"credentials in url", "hostname: a\nsource:\n  git:\n    url: https://u:secret@h/r.git\n", []string{"source.git.url", "token_file"}},
		{"escaping host dir", minimal + "  host_dir: ../{hostname}\n", []string{"c.yaml:7", "source.host_dir"}},
		{"bad hostname", "hostname: 'a b'\nsource:\n  git:\n    url: file:///r\n", []string{"c.yaml:1", "hostname"}},
		{"relative token file", "hostname: a\nsource:\n  git:\n    url: https://h/r\n    token_file: tok\n", []string{"source.git.token_file", "absolute"}},
		{"not yaml", "hostname: [", []string{"c.yaml"}},
	}
	for _, tt := range tests {
		_, err := Parse("c.yaml", []byte(tt.doc))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tt.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error leaks a credential: %q", tt.name, err)
		}
	}
}

func TestHostnameDefaultsToMachine(t *testing.T) {
	c, err := Parse("c", []byte("source:\n  git:\n    url: file:///srv/fleet\n"))
	if err != nil {
		testenv.Missing(t, fmt.Sprintf("the machine's host name is not a valid berth host name: %v", err))
	}
	if c.Hostname == "" {
		t.Errorf("got empty hostname, want the machine's")
	}
}
