package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/testhost"
)

// inHostPackages have tests that need real systemd and Nix. Their tests
// skip unless BERTH_IN_TESTHOST=1; TestInHost runs them inside a host.
var inHostPackages = []string{"./nixos", "./health", "./activate"}

// TestInHost compiles each package's tests, copies the binary and the
// package's source directory (for testdata) into a fresh host, and runs
// them there with BERTH_IN_TESTHOST=1.
func TestInHost(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	root := moduleRoot(t)
	for _, pkg := range inHostPackages {
		t.Run(strings.TrimPrefix(pkg, "./"), func(t *testing.T) { runInHost(t, root, pkg) })
	}
}

func runInHost(t *testing.T, root, pkg string) {
	if n, err := countTestFiles(root, pkg); err != nil || n == 0 {
		t.Fatalf("%s has no tests to run in a host (%v): drop it from inHostPackages", pkg, err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg)+".test")
	compileTests(t, root, pkg, bin)
	h := testhost.Boot(t)
	srcDir := "/src/" + strings.TrimPrefix(pkg, "./")
	if err := h.CopyIn(filepath.Join(root, pkg), srcDir); err != nil {
		t.Fatal(err)
	}
	if err := h.CopyIn(bin, "/usr/local/libexec/berth-tests/pkg.test"); err != nil {
		t.Fatal(err)
	}
	args := []string{"env", "-C", srcDir, "BERTH_IN_TESTHOST=1",
		"/usr/local/libexec/berth-tests/pkg.test", "-test.v", "-test.count=1", "-test.timeout=10m"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 11*time.Minute)
	defer cancel()
	out, err := h.Command(ctx, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s tests failed inside host %s: %v\n%s", pkg, h.Name, err, out)
	}
	t.Logf("%s inside host %s:\n%s", pkg, h.Name, out)
}

// countTestFiles reports how many _test.go files pkg has; a directory
// without Go files is an error.
func countTestFiles(root, pkg string) (int, error) {
	cmd := exec.Command("go", "list", "-f", "{{len .TestGoFiles}} {{len .XTestGoFiles}}", pkg)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("go list %s: %v: %s", pkg, err, strings.TrimSpace(string(out)))
	}
	var in, ext int
	_, err = fmt.Sscan(string(out), &in, &ext)
	return in + ext, err
}

// compileTests builds pkg's test binary: static unless this binary runs
// with -race, in which case the host's tests do too.
func compileTests(t *testing.T, root, pkg, bin string) {
	args := []string{"test", "-c", "-o", bin}
	env := append(os.Environ(), "CGO_ENABLED=0")
	if testhost.RaceEnabled {
		args = append(args, "-race")
		env = append(os.Environ(), "CGO_ENABLED=1")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir, cmd.Env = root, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compiling %s tests: %v\n%s", pkg, err, out)
	}
}

// moduleRoot is the directory holding go.mod; tests run in e2e/.
func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Fatalf("cannot find go.mod from the test's directory: %v", err)
	}
	return filepath.Dir(gomod)
}
