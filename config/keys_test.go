package config

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testenv"
)

// repoRoot is the checkout, seen from this package's directory.
const repoRoot = ".."

func TestKeys(t *testing.T) {
	byPath := map[string]Key{}
	for _, k := range Keys() {
		byPath[k.Path] = k
	}
	tests := []Key{
		{Path: "hostname", Type: "string"},
		{Path: "source.git.url", Type: "string"},
		{Path: "source.git.allow_history_rewrite", Type: "bool"},
		{Path: "source.max_files", Type: "int", Default: "100000"},
		{Path: "schedule.cron", Type: "string", Default: "@every 15m"},
		{Path: "schedule.backoff_max", Type: "duration", Default: "1h"},
		{Path: "activation.settle", Type: "duration", Default: "3s"},
	}
	for _, want := range tests {
		if got := byPath[want.Path]; got != want {
			t.Errorf("key %s: got %+v, want %+v", want.Path, got, want)
		}
	}
	for _, parent := range []string{"source", "source.git", "nix"} {
		if _, ok := byPath[parent]; ok {
			t.Errorf("section %s listed as a key", parent)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{15 * time.Minute, "15m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{3 * time.Second, "3s"},
		{90 * time.Second, "1m30s"},
		{500 * time.Millisecond, "500ms"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestModuleDeclaresEveryKey keeps nixos/module.nix and Config in sync:
// services.berth.settings must declare exactly the keys Config has.
func TestModuleDeclaresEveryKey(t *testing.T) {
	out := nixEval(t, filepath.Join(repoRoot, "nixos/tests/option-keys.nix"))
	var declared []string
	if err := json.Unmarshal(out, &declared); err != nil {
		t.Fatalf("option-keys.nix: %v\n%s", err, out)
	}
	missing, extra := diff(paths(Keys()), declared)
	for _, k := range missing {
		t.Errorf("config key %s has no option in nixos/module.nix: declare services.berth.settings.%s", k, k)
	}
	for _, k := range extra {
		t.Errorf("nixos/module.nix declares services.berth.settings.%s, which is not a config key", k)
	}
}

// TestConfigurationDocListsEveryKey keeps docs/configuration.md in sync:
// every key has a table row with its type and default, and every row
// names a key that exists.
func TestConfigurationDocListsEveryKey(t *testing.T) {
	rows := docRows(t, filepath.Join(repoRoot, "docs/configuration.md"))
	var documented []string
	for p := range rows {
		documented = append(documented, p)
	}
	missing, extra := diff(paths(Keys()), documented)
	for _, k := range missing {
		t.Errorf("config key %s is missing from docs/configuration.md: add a row | `%s` | type | default | meaning |", k, k)
	}
	for _, k := range extra {
		t.Errorf("docs/configuration.md documents %s, which is not a config key", k)
	}
	for _, k := range Keys() {
		row, ok := rows[k.Path]
		if !ok {
			continue
		}
		if row[0] != k.Type {
			t.Errorf("docs/configuration.md: %s type: got %q, want %q", k.Path, row[0], k.Type)
		}
		if k.Default != "" && row[1] != "`"+k.Default+"`" {
			t.Errorf("docs/configuration.md: %s default: got %q, want %q", k.Path, row[1], "`"+k.Default+"`")
		}
	}
}

// keyRow is a table row of docs/configuration.md: | `key` | type | default | meaning |
var keyRow = regexp.MustCompile("^\\|\\s*`([a-z_][a-z0-9_.\\[\\]<>]*)`\\s*\\|([^|]*)\\|([^|]*)\\|")

// docRows maps each documented key to its type and default cells.
func docRows(t *testing.T, path string) map[string][2]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][2]string{}
	for _, line := range strings.Split(string(data), "\n") {
		m := keyRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if _, dup := rows[m[1]]; dup {
			t.Errorf("%s: %s documented twice", path, m[1])
		}
		rows[m[1]] = [2]string{strings.TrimSpace(m[2]), strings.TrimSpace(m[3])}
	}
	return rows
}

func paths(keys []Key) []string {
	var ps []string
	for _, k := range keys {
		ps = append(ps, k.Path)
	}
	return ps
}

// diff returns what want has that got lacks, and what got has beyond want.
func diff(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	slices.Sort(extra)
	return missing, extra
}

// nixEval evaluates file strictly to JSON. Without nix-instantiate the
// test is skipped, unless BERTH_E2E=1 (CI), where it fails.
func nixEval(t *testing.T, file string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("nix-instantiate"); err != nil {
		testenv.Missing(t, "nix-instantiate not found (apt-get install nix-bin)")
	}
	cmd := exec.Command("nix-instantiate", append([]string{"--eval", "--strict", "--json", file}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-instantiate %s: %v\n%s", file, err, stderr.String())
	}
	return out
}
