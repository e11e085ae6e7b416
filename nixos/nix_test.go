package nixos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testenv"
)

// flakeOf is a flake with no inputs whose outputs, given as Nix attribute
// bindings that call drv NAME SCRIPT, build with /bin/sh alone, so real
// `nix build` runs need no nixpkgs and no network. nonce makes the
// derivations unique to one test run.
func flakeOf(nonce, outputs string) string {
	return `{
  outputs = { self }: let
    drv = name: script: builtins.derivation {
      inherit name;
      system = "x86_64-linux";
      builder = "/bin/sh";
      args = [ "-c" script ];
      PATH = "/usr/bin:/bin";
      nonce = "` + nonce + `";
    };
  in {
` + outputs + `  };
}
`
}

// testOutputs are the outputs of the flake the build tests use.
const testOutputs = `    ok = drv "berth-ok" "echo building-berth-ok; mkdir $out; echo hi > $out/f";
    other = drv "berth-other" "mkdir $out";
    slow = drv "berth-slow" "sleep 60; mkdir $out";
    fails = drv "berth-fails" "echo builder-says-goodbye >&2; exit 1";
    evalError = throw "berth-test-eval-boom";
`

func requireNix(t *testing.T) *Nix {
	t.Helper()
	if _, err := exec.LookPath("nix"); err != nil {
		testenv.Missing(t, "nix not installed")
	}
	return &Nix{ExtraArgs: []string{"--option", "substituters", ""}}
}

// writeFlake writes testFlake with a nonce unique to this test run, so
// every run really builds.
func writeFlake(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	nonce := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	src := flakeOf(nonce, testOutputs)
	if err := os.WriteFile(filepath.Join(dir, "flake.nix"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestBuildFlake(t *testing.T) {
	nix := requireNix(t)
	dir := writeFlake(t)
	var log bytes.Buffer
	out, err := nix.BuildFlake(context.Background(), dir, "ok", &log)
	if err != nil {
		t.Fatalf("BuildFlake: %v\nlog:\n%s", err, log.String())
	}
	if !IsStorePath(out) || !strings.HasSuffix(out, "-berth-ok") {
		t.Fatalf("got %q, want a store path named berth-ok", out)
	}
	if b, err := os.ReadFile(filepath.Join(out, "f")); err != nil || string(b) != "hi\n" {
		t.Errorf("got %q, %v reading the output, want \"hi\\n\"", b, err)
	}
	if !strings.Contains(log.String(), "building-berth-ok") {
		t.Errorf("got log %q, want the builder's output in it", log.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "flake.lock")); err == nil {
		t.Errorf("flake.lock was written")
	}
}

func TestBuildFlakeErrors(t *testing.T) {
	nix := requireNix(t)
	dir := writeFlake(t)
	tests := []struct {
		attr  string
		class fault.Class
		want  string
	}{
		{"evalError", fault.Stalling, "berth-test-eval-boom"},
		{"missing", fault.Stalling, "does not provide attribute"},
		{"fails", fault.Stalling, "builder-says-goodbye"},
	}
	for _, tt := range tests {
		t.Run(tt.attr, func(t *testing.T) {
			out, err := nix.BuildFlake(context.Background(), dir, tt.attr, nil)
			if err == nil {
				t.Fatalf("got %q, nil error, want an error", out)
			}
			t.Logf("error: %v", err)
			if got := fault.ClassOf(err); got != tt.class {
				t.Errorf("got class %v, want %v (%v)", got, tt.class, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "#"+tt.attr) {
				t.Errorf("got %q, want it to name the attribute", err)
			}
		})
	}
}

func TestBuildFlakeCancelled(t *testing.T) {
	nix := requireNix(t)
	dir := writeFlake(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := nix.BuildFlake(ctx, dir, "ok", nil)
	if got := fault.ClassOf(err); got != fault.Transient {
		t.Errorf("got class %v, want transient (%v)", got, err)
	}
}

// TestBuildFlakeCancelledMidBuild interrupts a running build: nix gets
// SIGINT, and the error is Transient long before the build would end.
func TestBuildFlakeCancelledMidBuild(t *testing.T) {
	nix := requireNix(t)
	dir := writeFlake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := nix.BuildFlake(ctx, dir, "slow", nil)
	if got := fault.ClassOf(err); got != fault.Transient {
		t.Errorf("got class %v, want transient (%v)", got, err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v, want the build stopped soon after the cancel", d)
	}
}

func TestBuildFlakeMissingNix(t *testing.T) {
	nix := &Nix{Command: "/nonexistent/nix"}
	_, err := nix.BuildFlake(context.Background(), t.TempDir(), "ok", nil)
	if got := fault.ClassOf(err); got != fault.Transient {
		t.Errorf("got class %v, want transient (%v)", got, err)
	}
}

func TestSetProfileAndGCRoot(t *testing.T) {
	nix := requireNix(t)
	dir := writeFlake(t)
	ctx := context.Background()
	out, err := nix.BuildFlake(ctx, dir, "ok", nil)
	if err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(t.TempDir(), "system")
	if err := nix.SetProfile(ctx, profile, out, nil); err != nil {
		t.Fatalf("SetProfile: %v", err)
	}
	got, err := ProfileSystem(profile)
	if err != nil || got != out {
		t.Fatalf("ProfileSystem: got %q, %v, want %q", got, err, out)
	}
	if err := nix.SetProfile(ctx, profile, "/tmp/not-in-store", nil); fault.ClassOf(err) != fault.Stalling {
		t.Errorf("SetProfile of a non-store path: got %v, want a stalling error", err)
	}
}

// TestGCRootKeepsPath checks with the real collector that a root made by
// AddGCRoot keeps its path alive.
func TestGCRootKeepsPath(t *testing.T) {
	nix := requireNix(t)
	out, err := nix.BuildFlake(context.Background(), writeFlake(t), "other", nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := fmt.Sprintf("/nix/var/nix/gcroots/berth-test-%d", os.Getpid())
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := AddGCRoot(dir, "current", out); err != nil {
		t.Fatalf("AddGCRoot: %v", err)
	}
	if b, err := exec.Command("nix-store", "--delete", out).CombinedOutput(); err == nil {
		t.Fatalf("nix-store --delete of a rooted path succeeded: %s", b)
	}
}

// TestBuildTimeout: a build that hangs (its builder sleeps) is cancelled
// at BuildTimeout, and the error says so and is Transient: the build is
// tried again later.
func TestBuildTimeout(t *testing.T) {
	nix := requireNix(t)
	nix.BuildTimeout = 2 * time.Second
	dir := writeFlake(t)
	start := time.Now()
	_, err := nix.BuildFlake(context.Background(), dir, "slow", nil)
	if got := fault.ClassOf(err); got != fault.Transient || err == nil || !strings.Contains(err.Error(), "nix.build_timeout (2s)") {
		t.Errorf("got %v (class %v), want a transient error naming nix.build_timeout", err, got)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v, want the build stopped soon after the timeout", d)
	}
}
