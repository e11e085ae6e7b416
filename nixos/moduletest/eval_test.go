// Package moduletest evaluates the NixOS module (nixos/module.nix) with
// nixpkgs' real lib.evalModules and stubbed NixOS options
// (nixos/tests/eval-module.nix), and builds the check derivation the
// module adds to system.checks with the real berth binary: a rendered
// file berth refuses must fail the build, naming the key.
package moduletest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/testenv"
)

const repoRoot = "../.."

// eval is what nixos/tests/eval-module.nix returns.
type eval struct {
	Config           string   `json:"config"`
	FailedAssertions []string `json:"failedAssertions"`
	Firewall         []int    `json:"firewall"`
	Checks           []string `json:"checks"`
	Package          string   `json:"package"`
	Service          struct {
		Path        []string          `json:"path"`
		Environment map[string]string `json:"environment"`
	} `json:"service"`
	Takeover struct {
		Script string `json:"script"`
	} `json:"takeover"`
}

// nixpkgsLib finds nixpkgs' lib: BERTH_NIXPKGS_LIB, or the snapshot beside
// the repository (../shared/nixpkgs-lib/lib).
func nixpkgsLib(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("BERTH_NIXPKGS_LIB"); dir != "" {
		return dir
	}
	dir, err := filepath.Abs(filepath.Join(repoRoot, "../shared/nixpkgs-lib/lib"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "default.nix")); err != nil {
		testenv.Missing(t, "nixpkgs' lib: set BERTH_NIXPKGS_LIB or provide ../shared/nixpkgs-lib/lib")
	}
	return dir
}

// berthPackage is a directory laid out as a package (bin/berth) holding
// the berth built from this checkout, for the module's check derivation.
func berthPackage(t *testing.T) string {
	t.Helper()
	return filepath.Dir(filepath.Dir(testenv.BerthBinary(t, "../../cmd/berth")))
}

// evalModule evaluates the module with the given settings (JSON) and more
// nix-instantiate arguments, such as --arg openFirewall true.
func evalModule(t *testing.T, settings string, extra ...string) eval {
	t.Helper()
	lib := nixpkgsLib(t)
	if _, err := exec.LookPath("nix-instantiate"); err != nil {
		testenv.Missing(t, "nix-instantiate not installed")
	}
	args := append([]string{"--eval", "--strict", "--json", "--read-write-mode",
		filepath.Join(repoRoot, "nixos/tests/eval-module.nix"),
		"--argstr", "settingsJSON", settings,
		"--argstr", "berthPackage", berthPackage(t)}, extra...)
	cmd := exec.Command("nix-instantiate", args...)
	cmd.Env = append(os.Environ(), "BERTH_NIXPKGS_LIB="+lib)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("eval-module.nix: %v\n%s", err, stderr)
	}
	var ev eval
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatalf("eval-module.nix: %v\n%s", err, out)
	}
	return ev
}

// buildChecks builds every derivation of system.checks and returns the
// combined output and whether all succeeded.
func buildChecks(t *testing.T, ev eval) (string, bool) {
	t.Helper()
	if len(ev.Checks) == 0 {
		t.Fatalf("system.checks is empty: the rendered file is not checked at build time")
	}
	args := append([]string{"--realise", "--option", "substituters", ""}, ev.Checks...)
	out, err := exec.Command("nix-store", args...).CombinedOutput()
	return string(out), err == nil
}

const (
	gitHTTPS = `"source": {"git": {"url": "https://git.example.org/fleet.git", "branch": "prod", "token_file": "/var/lib/berth-keys/token", "username": "deploy"}}`
	gitSSH   = `"source": {"git": {"url": "ssh://git@git.example.org/fleet.git", "ssh_key_file": "/var/lib/berth-keys/id_ed25519", "known_hosts_file": "/etc/berth/known_hosts"}}`
	sftp     = `"source": {"sftp": {"address": "fleet.example.org:22", "user": "berth-laptop1", "ssh_key_file": "/var/lib/berth-keys/id_ed25519", "known_hosts_file": "/etc/berth/known_hosts"}}`
)

// TestModuleConfigsPassCheckConfig renders realistic settings for each
// source and feature and builds the check the module adds: berth accepts
// every file.
func TestModuleConfigsPassCheckConfig(t *testing.T) {
	tests := []struct{ name, settings string }{
		{"git https", `{` + gitHTTPS + `, "schedule": {"cron": "*/10 * * * *", "jitter": "2m", "backoff_max": "30m"}, "history": {"keep": 20}, "log": {"level": "debug"}}`},
		{"git ssh", `{` + gitSSH + `, "activation": {"preflight": "strict", "test_timeout": "15m", "settle": "5s"}, "nix": {"build_timeout": "1h"}}`},
		{"sftp", `{` + sftp + `, "trust": {"sftp": {"allowed_signers": "/etc/berth/allowed_signers"}, "max_age": "48h"}}`},
		{"webhook and metrics", `{` + gitHTTPS + `, "webhook": {"enabled": true, "listen": ":9420", "secret_file": "/var/lib/berth-keys/webhook", "min_interval": "30s"}, "metrics": {"enabled": true, "listen": "127.0.0.1:9421"}}`},
		{"health checks", `{` + gitSSH + `, "health": {"checks": [
			{"name": "web", "kind": "http", "url": "http://127.0.0.1:8080/healthz", "status": "200-299"},
			{"name": "db", "kind": "tcp", "address": "127.0.0.1:5432", "deadline": "2m"},
			{"name": "nginx", "kind": "unit", "unit": "nginx.service"},
			{"name": "disk", "kind": "command", "command": ["/run/current-system/sw/bin/true"], "phase": "both"}],
			"reachability": {"deadline": "3m"}, "deadman": {"enabled": true}}}`},
		{"hooks", `{` + gitSSH + `, "hooks": {"pre": [{"name": "backup", "command": ["/run/current-system/sw/bin/true"], "timeout": "10m"}], "post": [{"name": "notify", "command": ["/run/current-system/sw/bin/true"]}]}}`},
		{"trust git", `{` + gitSSH + `, "trust": {"git": {"allowed_signers": "/etc/berth/allowed_signers"}}}`},
		{"prebuilt", `{` + gitHTTPS + `, "prebuilt": {"substituters": ["https://cache.example.org"], "match_flake": true}}`},
		{"laptop", `{` + gitHTTPS + `, "reboot": {"policy": "window", "window": "02:00-05:00", "delay": "10m"}, "notify": {"enabled": true}, "power": {"defer_on_battery": true}}`},
		{"report and files", `{` + sftp + `, "report": {"http_url": "https://hub.example.org/v1/report/{hostname}", "token_file": "/var/lib/berth-keys/report"}, "files": {"root": "/"}, "control": {"group": "wheel"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := evalModule(t, tt.settings, "--arg", "openFirewall", "true")
			if len(ev.FailedAssertions) > 0 {
				t.Fatalf("assertions failed: %q", ev.FailedAssertions)
			}
			out, ok := buildChecks(t, ev)
			if !ok || !strings.Contains(out, "/nix/store/") {
				t.Fatalf("check-config refused the rendered file:\n%s", out)
			}
		})
	}
}

// TestModuleBadConfigFailsBuild: a file berth refuses passes evaluation
// but fails the system build, and the error names the key.
func TestModuleBadConfigFailsBuild(t *testing.T) {
	tests := []struct{ name, settings, want string }{
		{"typo in a freeform key", `{` + gitHTTPS + `, "schedule": {"crom": "@hourly"}}`, "crom"},
		{"git and sftp", `{"source": {"git": {"url": "https://h/r"}, "sftp": {"address": "h:22", "user": "u", "ssh_key_file": "/k", "known_hosts_file": "/kh"}}}`, "set either source.git or source.sftp, not both"},
		{"ssh url without key", `{"source": {"git": {"url": "ssh://git@h/r"}}}`, "source.git.ssh_key_file"},
		{"webhook without secret", `{` + gitHTTPS + `, "webhook": {"enabled": true}}`, "webhook.secret_file"},
		{"reboot window missing", `{` + gitHTTPS + `, "reboot": {"policy": "window"}}`, "reboot.window"},
		{"bad cron", `{` + gitHTTPS + `, "schedule": {"cron": "every day"}}`, "schedule.cron"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := evalModule(t, tt.settings)
			out, ok := buildChecks(t, ev)
			if ok {
				t.Fatalf("the system build passed; want it to fail naming %q", tt.want)
			}
			if !strings.Contains(out, tt.want) {
				t.Fatalf("build failed without naming %q:\n%s", tt.want, out)
			}
		})
	}
}

// TestModuleRefusesSecretsInURLs: credentials in any URL of the rendered
// file (which is in the store) fail evaluation, naming the option and what
// to use instead.
func TestModuleRefusesSecretsInURLs(t *testing.T) {
	tests := []struct{ name, settings, option, advice string }{
		{"token as https user", `{"source": {"git": {"url": "https://ghp_TOKEN@github.com/org/fleet.git"}}}`, "services.berth.settings.source.git.url", "source.git.token_file"},
		{"user and password", `{"source": {"git": {"url": "https://u:p@h/r"}}}`, "services.berth.settings.source.git.url", "token_file"},
		{"token in query", `{"source": {"git": {"url": "https://h/r.git?private_token=abc"}}}`, "services.berth.settings.source.git.url", "token_file"},
		{"report url user", `{` + gitSSH + `, "report": {"http_url": "https://TOKEN@hub/v1/report"}}`, "services.berth.settings.report.http_url", "report.token_file"},
		{"report url query", `{` + gitSSH + `, "report": {"http_url": "https://hub/v1/report?token=abc"}}`, "services.berth.settings.report.http_url", "report.token_file"},
		{"substituter", `{` + gitSSH + `, "prebuilt": {"substituters": ["https://cache.example.org", "https://u:p@cache2.example.org"]}}`, "services.berth.settings.prebuilt.substituters[1]", "netrc"},
		{"check url", `{` + gitSSH + `, "health": {"checks": [{"name": "w", "kind": "http", "url": "https://admin:pw@127.0.0.1/"}]}}`, "services.berth.settings.health.checks[0].url", "health checks have no token_file"},
		{"check url query", `{` + gitSSH + `, "health": {"checks": [{"name": "w", "kind": "http", "url": "http://127.0.0.1/?api_key=k"}]}}`, "services.berth.settings.health.checks[0].url", "command check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := evalModule(t, tt.settings)
			got := strings.Join(ev.FailedAssertions, "\n")
			if !strings.Contains(got, tt.option+": the URL carries credentials") || !strings.Contains(got, tt.advice) {
				t.Fatalf("assertions %q, want one naming %s and mentioning %q", ev.FailedAssertions, tt.option, tt.advice)
			}
		})
	}
	// What is not a secret stays allowed: an ssh user, a plain URL, a
	// query without credentials.
	ev := evalModule(t, `{`+gitSSH+`, "report": {"http_url": "https://hub/v1/report?host={hostname}", "token_file": "/run/keys/r"}, "prebuilt": {"substituters": ["https://cache.example.org"]}}`)
	if len(ev.FailedAssertions) > 0 {
		t.Errorf("harmless URLs refused: %q", ev.FailedAssertions)
	}
}

// TestModuleEmptyHostname: an empty networking.hostName is refused instead
// of rendering hostname: "" (which berth would replace with the runtime
// name).
func TestModuleEmptyHostname(t *testing.T) {
	ev := evalModule(t, `{`+gitSSH+`}`, "--argstr", "hostName", "")
	if got := strings.Join(ev.FailedAssertions, "\n"); !strings.Contains(got, "services.berth.settings.hostname is empty") || !strings.Contains(got, "networking.hostName") {
		t.Errorf("assertions %q, want one about the empty hostname", ev.FailedAssertions)
	}
	ev = evalModule(t, `{`+gitSSH+`, "hostname": "laptop9"}`, "--argstr", "hostName", "")
	if len(ev.FailedAssertions) > 0 {
		t.Errorf("settings.hostname given: assertions %q", ev.FailedAssertions)
	}
}

// TestModuleWebhookListenWithoutPort: openFirewall with a listen address
// without a port is a clear assertion, not a toInt error.
func TestModuleWebhookListenWithoutPort(t *testing.T) {
	hook := func(listen string) string {
		return `{` + gitSSH + `, "webhook": {"enabled": true, "listen": "` + listen + `", "secret_file": "/run/keys/hook"}}`
	}
	ev := evalModule(t, hook("laptop1.lan"), "--arg", "openFirewall", "true")
	if got := strings.Join(ev.FailedAssertions, "\n"); !strings.Contains(got, `services.berth.settings.webhook.listen = "laptop1.lan" has no port`) {
		t.Errorf("assertions %q, want one naming webhook.listen", ev.FailedAssertions)
	}
	if len(ev.Firewall) != 0 {
		t.Errorf("firewall ports %v, want none", ev.Firewall)
	}
	ev = evalModule(t, hook("laptop1.lan:8443"), "--arg", "openFirewall", "true")
	if len(ev.FailedAssertions) > 0 || len(ev.Firewall) != 1 || ev.Firewall[0] != 8443 {
		t.Errorf("laptop1.lan:8443: assertions %q, ports %v; want none and [8443]", ev.FailedAssertions, ev.Firewall)
	}
}

// TestModuleAgentEnvironment: the agent can reach git over ssh and sees
// the host's proxy settings.
func TestModuleAgentEnvironment(t *testing.T) {
	ev := evalModule(t, `{`+gitSSH+`}`, "--argstr", "proxy", "http://proxy.lan:3128")
	var ssh bool
	for _, p := range ev.Service.Path {
		if strings.HasSuffix(p, "-openssh") {
			ssh = true
		}
	}
	if !ssh {
		t.Errorf("agent PATH %v lacks openssh", ev.Service.Path)
	}
	for _, v := range []string{"http_proxy", "https_proxy"} {
		if got := ev.Service.Environment[v]; got != "http://proxy.lan:3128" {
			t.Errorf("agent environment %s = %q, want the proxy", v, got)
		}
	}
	if got, want := ev.Service.Environment["BERTH_INSTALLED"], ev.Package+" "+ev.Config; got != want {
		t.Errorf("BERTH_INSTALLED = %q, want %q", got, want)
	}
}

// TestModuleImportedTwice: two modules of a host may both import the
// flake's nixosModules.default.
func TestModuleImportedTwice(t *testing.T) {
	ev := evalModule(t, `{`+gitSSH+`}`, "--arg", "viaFlake", "true")
	if len(ev.FailedAssertions) > 0 {
		t.Fatalf("assertions failed: %q", ev.FailedAssertions)
	}
	if !strings.HasPrefix(ev.Package, "/nix/store/") {
		t.Errorf("package %q: want the flake's berth", ev.Package)
	}
}

// TestTakeoverScript runs berth-takeover's script against a real process
// standing for the agent, started through a wrapper (so its
// /proc/PID/exe is not the package's bin/berth), with systemctl replaced
// by a stand-in that reports that process and records restarts.
func TestTakeoverScript(t *testing.T) {
	ev := evalModule(t, `{`+gitSSH+`}`)
	want := ev.Service.Environment["BERTH_INSTALLED"]
	tests := []struct {
		name    string
		agent   []string // the agent's environment; nil: no agent running
		restart bool
	}{
		{"agent current, wrapped binary", []string{"BERTH_INSTALLED=" + want}, false},
		{"agent of an older install", []string{"BERTH_INSTALLED=/nix/store/old-berth /nix/store/old-berth.yaml"}, true},
		{"agent from before the marker", []string{"PATH=/usr/bin:/bin"}, true},
		{"no agent", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			pid := "0"
			if tt.agent != nil {
				agent := exec.Command("/bin/sh", "-c", "exec sleep 60")
				agent.Env = tt.agent
				if err := agent.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
				pid = fmt.Sprint(agent.Process.Pid)
			}
			systemctl := filepath.Join(dir, "systemctl")
			stub := "#!/bin/sh\ncase $1 in\nshow) echo " + pid + " ;;\nrestart) echo \"$*\" >> " + dir + "/restarts ;;\nesac\n"
			if err := os.WriteFile(systemctl, []byte(stub), 0o755); err != nil {
				t.Fatal(err)
			}
			script := strings.ReplaceAll(ev.Takeover.Script, "/nix/store/00000000000000000000000000000000-systemd/bin/systemctl", systemctl)
			if strings.Contains(script, "/nix/store/00000000000000000000000000000000-") {
				t.Fatalf("the script uses more than systemctl from stubbed packages:\n%s", script)
			}
			if out, err := exec.Command("bash", "-e", "-c", script).CombinedOutput(); err != nil {
				t.Fatalf("script: %v\n%s", err, out)
			}
			_, err := os.Stat(filepath.Join(dir, "restarts"))
			if restarted := err == nil; restarted != tt.restart {
				t.Errorf("agent restarted: %v, want %v", restarted, tt.restart)
			}
		})
	}
}

// TestVMTestSettings: the settings the NixOS VM test gives its fleet hosts
// (nixos/tests/fleet/settings.nix), which cannot run here, pass the same
// build-time check as any host's.
func TestVMTestSettings(t *testing.T) {
	for _, sftp := range []string{"false", "true"} {
		t.Run("sftp="+sftp, func(t *testing.T) {
			settings, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json",
				filepath.Join(repoRoot, "nixos/tests/fleet/settings.nix"), "--arg", "sftp", sftp).Output()
			if err != nil {
				t.Fatalf("fleet/settings.nix: %v", err)
			}
			ev := evalModule(t, string(settings), "--arg", "openFirewall", "true")
			if len(ev.FailedAssertions) > 0 {
				t.Fatalf("assertions failed: %q", ev.FailedAssertions)
			}
			if out, ok := buildChecks(t, ev); !ok {
				t.Fatalf("check-config refused the VM test's settings:\n%s", out)
			}
		})
	}
}
