package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckConfig(t *testing.T) {
	tests := []struct {
		name, yaml string
		code       int
		want       string
	}{
		{"git", "hostname: a\nsource:\n  git:\n    url: https://h/fleet.git\n    token_file: /k\n", exitOK, "git https://h/fleet.git (branch main)"},
		{"sftp", "hostname: a\nsource:\n  sftp:\n    address: 127.0.0.1:22\n    user: a\n    ssh_key_file: /k\n    known_hosts_file: /kh\n", exitOK, "sftp a@127.0.0.1:22:config"},
		{"unknown key", "hostname: a\ncolour: red\n", exitUsage, "colour"},
	}
	for _, tt := range tests {
		p := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(p, []byte(tt.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		code := execute(context.Background(), []string{"--config", p, "check-config"}, &out, &errOut)
		if code != tt.code || !strings.Contains(out.String()+errOut.String(), tt.want) {
			t.Errorf("%s: got exit %d, output %q %q; want exit %d mentioning %q", tt.name, code, out.String(), errOut.String(), tt.code, tt.want)
		}
	}
}

// TestCheckConfigJSONRoundTrips: --json prints every key under its file
// name with its resolved value. JSON being YAML, the output read back as a
// configuration file must resolve to the very same output: nothing lost,
// nothing renamed.
func TestCheckConfigJSONRoundTrips(t *testing.T) {
	dir := t.TempDir()
	first := checkConfigJSON(t, dir, "hostname: a\nsource:\n  git:\n    url: https://h/fleet.git\n    token_file: /k\nactivation:\n  preflight: strict\n")
	for _, want := range []string{`"url": "https://h/fleet.git"`, `"preflight": "strict"`, `"max_fetch_bytes": 4294967296`} {
		if !strings.Contains(first, want) {
			t.Errorf("--json output lacks %s:\n%s", want, first)
		}
	}
	if second := checkConfigJSON(t, dir, first); second != first {
		t.Errorf("reading the output back changed it:\nfirst  %s\nsecond %s", first, second)
	}
}

func checkConfigJSON(t *testing.T, dir, content string) string {
	t.Helper()
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := execute(context.Background(), []string{"--config", p, "check-config", "--json"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errOut.String(), content)
	}
	return out.String()
}
