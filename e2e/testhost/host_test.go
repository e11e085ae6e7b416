package testhost

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBoot(t *testing.T) {
	Require(t)
	var root, dir string
	var pids []int
	t.Run("host", func(t *testing.T) {
		start := time.Now()
		h := Boot(t)
		t.Logf("booted %s in %v", h.Name, time.Since(start))
		root, dir = h.root, h.dir
		pids = []int{h.nspawn.Process.Pid, h.leader}
		checkHost(t, h)
	})
	if mounted(t, root) {
		t.Errorf("%s still mounted after teardown", root)
	}
	for _, pid := range pids {
		if procStart(pid) != "" {
			t.Errorf("process %d still exists after teardown", pid)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("host directory %s: got %v, want it removed", dir, err)
	}
}

func checkHost(t *testing.T, h *Host) {
	if got := strings.TrimSpace(h.Run(t, "systemctl", "is-system-running")); got != "running" {
		t.Errorf("is-system-running: got %q, want running", got)
	}
	got := h.Run(t, "systemd-run", "--wait", "--pipe", "--collect", "--quiet", "sh", "-c", "echo transient; hostname")
	if want := "transient\n" + h.Name + "\n"; got != want {
		t.Errorf("systemd-run: got %q, want %q", got, want)
	}
	// A unit run without --collect stays loaded in "failed" state.
	h.Exec(t.Context(), "systemd-run", "--wait", "--unit", "deliberate-failure", "false")
	if failed := h.Run(t, "systemctl", "--failed", "--no-legend", "--plain"); !strings.Contains(failed, "deliberate-failure.service") {
		t.Errorf("systemctl --failed: got %q, want deliberate-failure.service", failed)
	}
	if j := h.Journal(t, "deliberate-failure.service"); !strings.Contains(j, "Failed") {
		t.Errorf("journal of deliberate-failure.service lacks the failure:\n%s", j)
	}
}

func TestFiles(t *testing.T) {
	Require(t)
	h := Boot(t)
	if err := h.WriteFile("/etc/berth/hello", []byte("hello\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if got := h.Run(t, "stat", "-c", "%a %s", "/etc/berth/hello"); got != "640 6\n" {
		t.Errorf("stat: got %q, want %q", got, "640 6\n")
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "x"), []byte("x"), 0o755)
	if err := h.CopyIn(src, "/srv/tree"); err != nil {
		t.Fatal(err)
	}
	if got := h.Run(t, "cat", "/srv/tree/x"); got != "x" {
		t.Errorf("copied file: got %q, want %q", got, "x")
	}
	// A symlink inside the host must resolve inside it, not on the outside.
	h.Run(t, "ln", "-s", "/srv/tree", "/srv/link")
	if got, want := h.Path("/srv/link/x"), filepath.Join(h.root, "srv/tree/x"); got != want {
		t.Errorf("Path: got %q, want %q", got, want)
	}
}

func TestNix(t *testing.T) {
	Require(t)
	h := Boot(t)
	expr := `derivation { name = "hello"; system = "x86_64-linux"; builder = "/bin/sh";
		args = [ "-c" "echo hi > $out" ]; PATH = "/usr/bin:/bin"; }`
	if err := h.WriteFile("/root/hello.nix", []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	out := h.Run(t, "nix", "build", "--json", "--no-link", "-f", "/root/hello.nix")
	if !strings.Contains(out, "/nix/store/") {
		t.Errorf("nix build: got %q, want a store path", out)
	}
	log := h.Run(t, "cat", "/var/log/nix-invocations")
	if want := "nix build --json --no-link -f /root/hello.nix\n"; log != want {
		t.Errorf("nix invocation log: got %q, want %q", log, want)
	}
}

func TestInstallBerth(t *testing.T) {
	Require(t)
	bin := filepath.Join(t.TempDir(), "berth")
	build := exec.Command("go", "build", "-o", bin, "./testdata/notifyd")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building notifyd: %v\n%s", err, out)
	}
	h := Boot(t)
	h.InstallBerth(t, bin, []byte("host: test\n"))
	if got := h.Run(t, "systemctl", "is-active", "berth.service"); got != "active\n" {
		t.Errorf("berth.service: got %q, want active", got)
	}
	if got := h.Run(t, "stat", "-c", "%F", "/var/lib/berth"); got != "directory\n" {
		t.Errorf("/var/lib/berth: got %q, want a directory", got)
	}
}

// mounted reports whether path is a mount point in this mount namespace.
func mounted(t *testing.T, path string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			return true
		}
	}
	return false
}

// TestBootDegraded boots a host whose boot leaves a failed unit and checks
// that the error names it.
func TestBootDegraded(t *testing.T) {
	Require(t)
	image, err := Image(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	unit := "[Service]\nType=oneshot\nExecStart=/bin/false\n[Install]\nWantedBy=multi-user.target\n"
	setup := func(h *Host) error {
		if err := h.WriteFile("/etc/systemd/system/broken-at-boot.service", []byte(unit), 0o644); err != nil {
			return err
		}
		return os.Symlink("/etc/systemd/system/broken-at-boot.service",
			h.Path("/etc/systemd/system/multi-user.target.wants/broken-at-boot.service"))
	}
	h, err := start(image, Options{Setup: setup})
	if h != nil {
		t.Cleanup(func() { h.teardown(t) })
	}
	if err != nil {
		t.Fatal(err)
	}
	err = h.waitRunning()
	if err == nil || !strings.Contains(err.Error(), "degraded") || !strings.Contains(err.Error(), "broken-at-boot.service") {
		t.Errorf("waitRunning: got %v, want degraded naming broken-at-boot.service", err)
	}
}
