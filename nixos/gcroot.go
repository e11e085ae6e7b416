package nixos

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-nix/berth/internal/atomicfile"
)

// GCRootDir is where berth keeps its garbage-collector roots. Nix treats
// every symlink under /nix/var/nix/gcroots that points into the store as
// a root.
const GCRootDir = "/nix/var/nix/gcroots/berth"

// AddGCRoot points dir/name at storePath, replacing any previous target
// atomically, so the collector never sees a moment without the root. dir
// "" means GCRootDir; it is created if missing.
func AddGCRoot(dir, name, storePath string) error {
	dir = gcRootDir(dir)
	if err := checkRootName(name); err != nil {
		return err
	}
	if !IsStorePath(storePath) {
		return fmt.Errorf("gc root %s: %q is not a store path", name, storePath)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("gc root %s: %w", name, err)
	}
	if err := atomicfile.Symlink(storePath, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("gc root %s: %w", name, err)
	}
	return nil
}

func gcRootDir(dir string) string {
	if dir == "" {
		return GCRootDir
	}
	return dir
}

// checkRootName accepts a single path component.
func checkRootName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("gc root name %q: want one non-empty path component", name)
	}
	return nil
}

// RemoveGCRoot removes dir/name; a root that is already gone is not an
// error. dir "" means GCRootDir.
func RemoveGCRoot(dir, name string) error {
	dir = gcRootDir(dir)
	if err := checkRootName(name); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(dir, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("gc root %s: %w", name, err)
	}
	return atomicfile.SyncDir(dir)
}
