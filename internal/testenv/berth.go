package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	berthOnce sync.Once
	berthBin  string
	berthErr  error
)

// BerthBinary builds cmd/berth once per test process, statically (so it
// runs in the test host and in Nix builds whatever their libraries), and
// returns its path, which ends in bin/berth so that its directory can
// stand for a package. pkg is the path of cmd/berth from the test's
// directory, such as "../cmd/berth".
func BerthBinary(t testing.TB, pkg string) string {
	t.Helper()
	berthOnce.Do(func() {
		dir, err := os.MkdirTemp("", "berth-test-bin-")
		if err != nil {
			berthErr = err
			return
		}
		berthBin = filepath.Join(dir, "bin", "berth")
		cmd := exec.Command("go", "build", "-o", berthBin, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			berthErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if berthErr != nil {
		t.Fatal(berthErr)
	}
	return berthBin
}
