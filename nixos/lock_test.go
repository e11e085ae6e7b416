package nixos

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/berth-nix/berth/internal/testenv"
)

func TestSwitchLockHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switch-to-configuration.lock")
	if held, err := SwitchLockHeld(path); err != nil || held {
		t.Fatalf("missing file: got %v, %v, want false, nil", held, err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("SwitchLockHeld created the lock file")
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if held, err := SwitchLockHeld(path); err != nil || held {
		t.Fatalf("unlocked file: got %v, %v, want false, nil", held, err)
	}
	// flock locks belong to open file descriptions, so a lock taken
	// through f conflicts with SwitchLockHeld's own open of the file.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if held, err := SwitchLockHeld(path); err != nil || !held {
		t.Fatalf("locked file: got %v, %v, want true, nil", held, err)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	if held, err := SwitchLockHeld(path); err != nil || held {
		t.Fatalf("after unlock: got %v, %v, want false, nil", held, err)
	}
}

// TestSwitchLockHeldByOtherProcess takes the lock from another process,
// with util-linux flock(1), as switch-to-configuration would.
func TestSwitchLockHeldByOtherProcess(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		testenv.Missing(t, "flock(1) not installed")
	}
	path := filepath.Join(t.TempDir(), "switch-to-configuration.lock")
	cmd := exec.Command("flock", path, "sh", "-c", "echo locked; read x")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := stdout.Read(buf); err != nil {
		t.Fatal(err)
	}
	if held, err := SwitchLockHeld(path); err != nil || !held {
		t.Errorf("got %v, %v, want true, nil", held, err)
	}
	stdin.Close()
	cmd.Wait()
	if held, err := SwitchLockHeld(path); err != nil || held {
		t.Errorf("after exit: got %v, %v, want false, nil", held, err)
	}
}
