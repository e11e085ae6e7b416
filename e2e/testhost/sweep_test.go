package testhost

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSweepStale kills a test binary that owns a booted host, so none of
// its cleanups run, and checks that the next sweep removes the host.
func TestSweepStale(t *testing.T) {
	Require(t)
	if os.Getenv("TESTHOST_SWEEP_PROBE") == "1" {
		h := Boot(t)
		fmt.Printf("HOST %s %d\n", h.dir, h.leader)
		time.Sleep(time.Minute)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSweepStale$")
	cmd.Env = append(os.Environ(), "TESTHOST_SWEEP_PROBE=1")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dir, leader := readProbe(t, stdout)
	cmd.Process.Kill()
	cmd.Wait()
	if !mounted(t, dir+"/root") {
		t.Fatalf("%s/root not mounted after the owner was killed; nothing to sweep", dir)
	}
	sweepStale()
	if mounted(t, dir+"/root") {
		t.Errorf("%s/root still mounted after the sweep", dir)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("host directory %s: got %v, want it removed", dir, err)
	}
	if running(leader) {
		t.Errorf("container init %d still runs after the sweep", leader)
	}
}

func readProbe(t *testing.T, r interface{ Read([]byte) (int, error) }) (string, int) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "HOST" {
			leader, err := strconv.Atoi(f[2])
			if err != nil {
				t.Fatal(err)
			}
			return f[1], leader
		}
	}
	t.Fatal("probe exited without booting a host")
	return "", 0
}
