package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// nixpkgsLib finds nixpkgs' lib as NixpkgsLib documents and returns its
// absolute path.
func nixpkgsLib() (string, error) {
	if dir := os.Getenv("BERTH_NIXPKGS_LIB"); dir != "" {
		return libDir(dir, "BERTH_NIXPKGS_LIB")
	}
	root, err := checkoutRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "..", "shared", "nixpkgs-lib", "lib")
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("no nixpkgs lib: BERTH_NIXPKGS_LIB is not set and %s does not exist (set BERTH_NIXPKGS_LIB to a nixpkgs lib directory)", dir)
	}
	return libDir(dir, dir)
}

// libDir checks that dir is a lib directory (it has default.nix); from
// names where dir came from.
func libDir(dir, from string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, "default.nix")); err != nil {
		return "", fmt.Errorf("%s: not a nixpkgs lib directory: %w", from, err)
	}
	return abs, nil
}

// checkoutRoot is the nearest directory at or above the working directory
// (a test's package directory) that holds go.mod.
func checkoutRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: cannot find the checkout")
		}
		dir = parent
	}
}
