package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/buildinfo"
	"github.com/berth-nix/berth/reconciler"
)

// TestVersionCommand: `berth version`, `berth --version` and
// `berth version --json` say the same thing about this binary.
func TestVersionCommand(t *testing.T) {
	bi := buildinfo.Read()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out, errOut bytes.Buffer
		if code := execute(context.Background(), args, &out, &errOut); code != exitOK {
			t.Fatalf("berth %v: exit %d, %s", args, code, errOut.String())
		}
		want := "berth " + bi.Version + "\n"
		if !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), "go: "+runtime.Version()+"\n") {
			t.Errorf("berth %v printed %q, want it to start %q and name %s", args, out.String(), want, runtime.Version())
		}
	}
	var out bytes.Buffer
	if code := execute(context.Background(), []string{"version", "--json"}, &out, &out); code != exitOK {
		t.Fatalf("berth version --json: exit %d, %s", code, out.String())
	}
	var got buildinfo.Info
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got != bi {
		t.Errorf("berth version --json: got %+v (%v), want %+v", got, err, bi)
	}
}

// TestStatusShowsBuild: without a running agent, berth status reads the
// state files and says which berth read them, in text and JSON; the JSON
// also carries the report the agent last wrote, with the agent's build.
func TestStatusShowsBuild(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	yaml := fmt.Sprintf("hostname: alpha\nstate_dir: %s\ncontrol:\n  socket: %s\nsource:\n  git:\n    url: https://h/fleet.git\n",
		filepath.Join(dir, "state"), filepath.Join(dir, "berth.sock"))
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	agentBuild := buildinfo.Info{Version: "0.0.9", Revision: "abcdef0123456789", GoVersion: "go1.26.0"}
	rep := reconciler.HostReport{Version: 1, Host: "alpha", AgentVersion: agentBuild.String(), Build: &agentBuild, At: time.Now()}
	data, _ := json.Marshal(rep)
	if err := os.MkdirAll(filepath.Join(dir, "state"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reconciler.ReportPath(filepath.Join(dir, "state")), data, 0o600); err != nil {
		t.Fatal(err)
	}
	bi := buildinfo.Read()
	var out, errOut bytes.Buffer
	if code := execute(context.Background(), []string{"--config", cfg, "status"}, &out, &errOut); code != exitOK {
		t.Fatalf("status: exit %d, %s", code, errOut.String())
	}
	if want := "berth " + bi.String() + " (" + runtime.Version() + "; this command's, not the agent's)"; !strings.Contains(strings.Join(strings.Fields(out.String()), " "), want) {
		t.Errorf("status printed\n%s\nwant a line %q", out.String(), want)
	}
	out.Reset()
	if code := execute(context.Background(), []string{"--config", cfg, "status", "--json"}, &out, &errOut); code != exitOK {
		t.Fatalf("status --json: exit %d, %s", code, errOut.String())
	}
	var got statusJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if got.Build == nil || *got.Build != bi || got.Report == nil || got.Report.Build == nil || *got.Report.Build != agentBuild {
		t.Errorf("status --json: build %+v, report %+v; want %+v and the report's %+v", got.Build, got.Report, bi, agentBuild)
	}
}
