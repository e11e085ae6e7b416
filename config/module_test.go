package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/testenv"
)

// moduleEval is what nixos/tests/eval-module.nix returns.
type moduleEval struct {
	Config           string   `json:"config"`
	FailedAssertions []string `json:"failedAssertions"`
	Firewall         []int    `json:"firewall"`
	Service          struct {
		RestartIfChanged bool              `json:"restartIfChanged"`
		UnitConfig       map[string]any    `json:"unitConfig"`
		ServiceConfig    map[string]any    `json:"serviceConfig"`
		Environment      map[string]string `json:"environment"`
	} `json:"service"`
}

// evalModule evaluates nixos/module.nix with the given settings through
// lib.evalModules, with nixpkgs' lib from testenv.NixpkgsLib. extra are
// more nix-instantiate arguments, such as --arg openFirewall true.
func evalModule(t *testing.T, settings string, extra ...string) moduleEval {
	t.Helper()
	lib := testenv.NixpkgsLib(t)
	args := []string{"--read-write-mode", "--arg", "lib", fmt.Sprintf("import %q", lib), "--argstr", "settingsJSON", settings}
	out := nixEval(t, filepath.Join(repoRoot, "nixos/tests/eval-module.nix"), append(args, extra...)...)
	var ev moduleEval
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatalf("eval-module.nix: %v\n%s", err, out)
	}
	return ev
}

// TestModuleRendersConfigBerthAccepts renders settings through the module
// and parses the file as the agent would.
func TestModuleRendersConfigBerthAccepts(t *testing.T) {
	ev := evalModule(t, `{
		"source": {"git": {"url": "ssh://git@git.example.org/fleet.git", "branch": "prod",
			"ssh_key_file": "/var/lib/berth-keys/id_ed25519", "known_hosts_file": "/etc/berth/known_hosts"},
			"timeout": "90s"},
		"schedule": {"cron": "*/10 * * * *", "jitter": "2m"},
		"activation": {"preflight": "strict"},
		"history": {"keep": 20}
	}`)
	if len(ev.FailedAssertions) > 0 {
		t.Fatalf("assertions failed: %v", ev.FailedAssertions)
	}
	data, err := os.ReadFile(ev.Config)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(ev.Config, data)
	if err != nil {
		t.Fatalf("berth rejects the rendered file: %v\n%s", err, data)
	}
	if c.Hostname != "laptop1" || c.Source.Git.Branch != "prod" || c.Activate.Preflight != "strict" || c.History.Keep != 20 {
		t.Errorf("rendered settings lost: %+v", c)
	}
	if c.Nix.Profile != Defaults().Nix.Profile {
		t.Errorf("unset key nix.profile: got %q, want berth's default %q", c.Nix.Profile, Defaults().Nix.Profile)
	}
}

// TestModuleUnitSurvivesSwitch checks the unit settings the agent relies
// on to outlive the switches it starts.
func TestModuleUnitSurvivesSwitch(t *testing.T) {
	ev := evalModule(t, `{"source": {"git": {"url": "https://git.example.org/fleet.git"}}}`)
	s := ev.Service
	if s.RestartIfChanged {
		t.Errorf("restartIfChanged: got true, want false")
	}
	if got := s.UnitConfig["X-StopOnRemoval"]; got != false {
		t.Errorf("X-StopOnRemoval: got %v, want false", got)
	}
	for key, want := range map[string]any{"Type": "notify", "StateDirectory": "berth", "NotifyAccess": "main"} {
		if got := s.ServiceConfig[key]; got != want {
			t.Errorf("serviceConfig.%s: got %v, want %v", key, got, want)
		}
	}
	if s.ServiceConfig["WatchdogSec"] == nil {
		t.Errorf("serviceConfig.WatchdogSec: not set")
	}
}

func TestModuleRejectsInlineSecrets(t *testing.T) {
	tests := []struct{ name, settings, want string }{
		{"inline token", `{"source": {"git": {"url": "https://h/r", "token": "hunter2"}}}`, "source.git.token: secrets are never inline"},
		{"token in store", `{"source": {"git": {"url": "https://h/r", "token_file": "/nix/store/aaaa-token"}}}`, "world-readable Nix store"},
		{"host key in store", `{"source": {"git": {"url": "https://h/r"}}, "files": {"host_key": "/nix/store/aaaa-key"}}`, "files.host_key: /nix/store/aaaa-key is in the world-readable Nix store"},
		{"credentials in url", `{"source": {"git": {"url": "https://u:p@h/r"}}}`, "URL carries credentials"},
		{"public file in store", `{"source": {"git": {"url": "ssh://git@h/r", "ssh_key_file": "/run/keys/k", "known_hosts_file": "/nix/store/aaaa-known_hosts"}}}`, ""},
		{"inline webhook secret", `{"source": {"git": {"url": "https://h/r"}}, "webhook": {"secret": "s"}}`, "webhook.secret: secrets are never inline"},
	}
	for _, tt := range tests {
		ev := evalModule(t, tt.settings)
		if tt.want == "" {
			if len(ev.FailedAssertions) > 0 {
				t.Errorf("%s: assertions failed: %q", tt.name, ev.FailedAssertions)
			}
			continue
		}
		if !strings.Contains(strings.Join(ev.FailedAssertions, "\n"), tt.want) {
			t.Errorf("%s: assertions %q, want one mentioning %q", tt.name, ev.FailedAssertions, tt.want)
		}
	}
}

func TestModuleOpensWebhookPort(t *testing.T) {
	const git = `"source": {"git": {"url": "https://h/r"}}`
	tests := []struct {
		name, settings string
		open           bool
		want           []int
	}{
		{"webhook on", `{` + git + `, "webhook": {"enabled": true, "listen": "[::]:8443", "secret_file": "/run/keys/hook"}}`, true, []int{8443}},
		{"default port", `{` + git + `, "webhook": {"enabled": true, "secret_file": "/run/keys/hook"}}`, true, []int{9420}},
		{"webhook off", `{` + git + `}`, true, nil},
		{"not asked", `{` + git + `, "webhook": {"enabled": true, "secret_file": "/run/keys/hook"}}`, false, nil},
	}
	for _, tt := range tests {
		ev := evalModule(t, tt.settings, "--arg", "openFirewall", fmt.Sprint(tt.open))
		if !slices.Equal(ev.Firewall, tt.want) {
			t.Errorf("%s: got ports %v, want %v", tt.name, ev.Firewall, tt.want)
		}
	}
}
