package nixos

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
)

const (
	storeA = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-a"
	storeB = "/nix/store/zyxwvsrqpnmlkjihgfdcba9876543210-nixos-system-b"
)

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestCurrentAndBootedSystem(t *testing.T) {
	root := t.TempDir()
	symlink(t, storeA, filepath.Join(root, "run/current-system"))
	// booted-system reaches the store through a relative hop, as
	// profile generation links do.
	symlink(t, storeB, filepath.Join(root, "run/gen-1-link"))
	symlink(t, "gen-1-link", filepath.Join(root, "run/booted-system"))
	if got, err := CurrentSystem(root); err != nil || got != storeA {
		t.Errorf("CurrentSystem: got %q, %v, want %q", got, err, storeA)
	}
	if got, err := BootedSystem(root); err != nil || got != storeB {
		t.Errorf("BootedSystem: got %q, %v, want %q", got, err, storeB)
	}
	if got, err := CurrentSystem(t.TempDir()); err == nil {
		t.Errorf("CurrentSystem without the link: got %q, want an error", got)
	}
}

func TestCurrentSystemNotStore(t *testing.T) {
	root := t.TempDir()
	symlink(t, "/tmp", filepath.Join(root, "run/current-system"))
	if got, err := CurrentSystem(root); err == nil {
		t.Errorf("got %q, want an error for a link outside the store", got)
	}
}

// fakeSystem makes a directory laid out like a system closure.
func fakeSystem(t *testing.T, stc os.FileMode, version bool) string {
	t.Helper()
	dir := t.TempDir()
	if stc != 0 {
		os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
		os.WriteFile(filepath.Join(dir, "bin/switch-to-configuration"), []byte("#!/bin/sh\n"), stc)
	}
	if version {
		os.WriteFile(filepath.Join(dir, "nixos-version"), []byte("25.05"), 0o644)
	}
	return dir
}

func TestCheckSystem(t *testing.T) {
	tests := []struct {
		name    string
		stc     os.FileMode
		version bool
		ok      bool
	}{
		{"complete", 0o755, true, true},
		{"no switch script", 0, true, false},
		{"script not executable", 0o644, true, false},
		{"no nixos-version", 0o755, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSystem(fakeSystem(t, tt.stc, tt.version))
			if got := err == nil; got != tt.ok {
				t.Fatalf("got %v, want ok=%v", err, tt.ok)
			}
			if err != nil && fault.ClassOf(err) != fault.Stalling {
				t.Errorf("got class %v, want stalling", fault.ClassOf(err))
			}
		})
	}
}

// closure makes a system directory whose boot parts link to the named
// files under pool; an empty name leaves the part out.
func closure(t *testing.T, pool, kernel, initrd, modules string) string {
	t.Helper()
	dir := t.TempDir()
	for part, target := range map[string]string{"kernel": kernel, "initrd": initrd, "kernel-modules": modules} {
		if target == "" {
			continue
		}
		p := filepath.Join(pool, target)
		os.WriteFile(p, nil, 0o644)
		symlink(t, p, filepath.Join(dir, part))
	}
	return dir
}

func TestRebootNeeded(t *testing.T) {
	pool := t.TempDir()
	base := closure(t, pool, "k1", "i1", "m1")
	tests := []struct {
		name string
		next string
		want []string
	}{
		{"same", closure(t, pool, "k1", "i1", "m1"), nil},
		{"new kernel", closure(t, pool, "k2", "i1", "m1"), []string{"kernel"}},
		{"new initrd and modules", closure(t, pool, "k1", "i2", "m2"), []string{"initrd", "kernel-modules"}},
		{"no kernel", closure(t, pool, "", "i1", "m1"), []string{"kernel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			need, got, err := RebootNeeded(base, tt.next)
			if err != nil {
				t.Fatal(err)
			}
			if need != (len(tt.want) > 0) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v %v, want %v", need, got, tt.want)
			}
		})
	}
}

func TestRebootNeededContainers(t *testing.T) {
	need, differ, err := RebootNeeded(t.TempDir(), t.TempDir())
	if err != nil || need || differ != nil {
		t.Errorf("got %v %v %v, want false, nil, nil for closures without boot parts", need, differ, err)
	}
}

func TestRebootNeededMissingSystem(t *testing.T) {
	if _, _, err := RebootNeeded(t.TempDir(), "/nonexistent/system"); err == nil {
		t.Errorf("got nil, want an error for a missing system")
	}
}
