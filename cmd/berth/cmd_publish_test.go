package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPublishCommand(t *testing.T) {
	fleet, chroots := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(fleet, "hosts/alpha"), 0o755)
	os.WriteFile(filepath.Join(fleet, "hosts/alpha/flake.nix"), []byte("{ }\n"), 0o644)
	os.MkdirAll(filepath.Join(chroots, "alpha/config"), 0o750)
	publish := func(extra ...string) ([]publishResult, int, string) {
		var out, errOut bytes.Buffer
		args := append([]string{"publish", "--fleet", fleet, "--chroots", chroots, "--json"}, extra...)
		code := execute(context.Background(), args, &out, &errOut)
		var res []publishResult
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("%v: %v\n%s%s", args, err, out.String(), errOut.String())
		}
		return res, code, errOut.String()
	}
	tests := []struct {
		name     string
		prepare  func()
		args     []string
		action   string
		wantCode int
	}{
		{"dry run", func() {}, []string{"--dry-run"}, "published", 0},
		{"publish", func() {}, nil, "published", 0},
		{"again", func() {}, nil, "unchanged", 0},
		{"escaping link", func() { os.Symlink("../../..", filepath.Join(fleet, "hosts/alpha/up")) }, []string{"alpha"}, "refused", exitFailed},
	}
	for _, tt := range tests {
		tt.prepare()
		res, code, stderr := publish(tt.args...)
		if len(res) != 1 || res[0].Action != tt.action || code != tt.wantCode {
			t.Errorf("%s: got %+v exit %d (%s), want action %s exit %d", tt.name, res, code, stderr, tt.action, tt.wantCode)
		}
	}
	if _, err := os.Stat(filepath.Join(chroots, "alpha/config/manifest.json")); err != nil {
		t.Errorf("no manifest published: %v", err)
	}
	var out, errOut bytes.Buffer
	if code := execute(context.Background(), []string{"publish", "--fleet", fleet}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "chroots") {
		t.Errorf("without --chroots: got exit %d, %q; want a usage error naming it", code, errOut.String())
	}
}
