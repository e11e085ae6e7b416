package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/fleet"
	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/prebuilt"
)

// TestBuildFleet builds a two-host fleet with real nix, signs and pushes
// it to a file cache, and checks every host got its prebuilt.json.
func TestBuildFleet(t *testing.T) {
	if _, err := exec.LookPath("nix"); err != nil {
		testenv.Missing(t, "nix not installed")
	}
	unique := fmt.Sprintf("24.05.bf%d", time.Now().UnixNano())
	repo := fixture.Fleet(t, fixture.Host{Name: "alpha", Version: unique}, fixture.Host{Name: "beta", Version: unique})
	keys := t.TempDir()
	sk := filepath.Join(keys, "sk")
	if out, err := exec.Command("nix-store", "--generate-binary-cache-key", "bf-1", sk, filepath.Join(keys, "pk")).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	cache := t.TempDir()
	o := buildFleetOptions{BuildOptions: fleet.BuildOptions{Fleet: repo.WorkDir(), To: "file://" + cache, HostDir: "hosts/{hostname}",
		Attr: "nixosConfigurations.{hostname}.config.system.build.toplevel", SignKey: sk,
		Substituters: []string{"https://cache.example.org"}, Nix: "nix"}, JSON: true}

	got := buildFleet(t, o)
	for _, b := range got {
		if b.Action != "written" {
			t.Fatalf("%s: got %+v, want written", b.Host, b)
		}
		d, err := prebuilt.Read(filepath.Join(repo.WorkDir(), "hosts", b.Host))
		if err != nil || d == nil || d.Toplevel != b.Toplevel || d.Substituters[0] != "https://cache.example.org" {
			t.Errorf("%s: prebuilt.json: got %+v, %v, want toplevel %s", b.Host, d, err, b.Toplevel)
		}
		narinfo, err := os.ReadFile(filepath.Join(cache, strings.TrimPrefix(b.Toplevel, "/nix/store/")[:32]+".narinfo"))
		if err != nil || !strings.Contains(string(narinfo), "Sig: bf-1:") {
			t.Errorf("%s: cache narinfo: got %q, %v, want a bf-1 signature", b.Host, narinfo, err)
		}
	}
	if len(got) != 2 {
		t.Fatalf("hosts: got %d, want 2", len(got))
	}
	for _, b := range buildFleet(t, o) {
		if b.Action != "unchanged" {
			t.Errorf("second run, %s: got %s, want unchanged", b.Host, b.Action)
		}
	}
}

func buildFleet(t *testing.T, o buildFleetOptions) []fleet.Built {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := runBuildFleet(context.Background(), &stdout, &stderr, o); err != nil {
		t.Fatalf("build-fleet: %v\n%s", err, stderr.String())
	}
	var got []fleet.Built
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output: %v\n%s", err, stdout.String())
	}
	return got
}

func TestBuildFleetFailedHost(t *testing.T) {
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "hosts/empty"), 0o755)
	var stdout, stderr bytes.Buffer
	o := buildFleetOptions{BuildOptions: fleet.BuildOptions{Fleet: repo, To: "file:///nonexistent", HostDir: "hosts/{hostname}", Attr: "x", Nix: "nix"}}
	err := runBuildFleet(context.Background(), &stdout, &stderr, o)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitFailed {
		t.Fatalf("got %v, want exit %d", err, exitFailed)
	}
	if !strings.Contains(stderr.String(), "empty") || !strings.Contains(stdout.String(), "failed") {
		t.Errorf("stdout %q, stderr %q: want host empty reported failed", stdout.String(), stderr.String())
	}
}
