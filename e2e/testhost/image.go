package testhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// imageMu serializes Image within one process; build.sh's flock on the
// cache's lock file serializes builders across processes (go test runs
// packages in parallel).
var imageMu sync.Mutex

// Image returns the path of the cached base root file system, building it
// with e2e/image/build.sh when the cache has none for the current recipe.
// The first build downloads Debian packages and takes a few minutes.
// Callers must treat the returned directory as read-only.
func Image(ctx context.Context) (string, error) {
	imageMu.Lock()
	defer imageMu.Unlock()
	script, err := buildScript()
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, script)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building test host image with %s: %w\n%s", script, err, tail(stderr.String(), 40))
	}
	dir := strings.TrimSpace(lastLine(stdout.String()))
	if _, err := os.Stat(filepath.Join(dir, "sbin/init")); err != nil {
		return "", fmt.Errorf("%s printed %q, which is not a root file system: %w", script, dir, err)
	}
	return dir, nil
}

// buildScript locates e2e/image/build.sh: $BERTH_E2E_IMAGE_DIR if set,
// else next to this package's source.
func buildScript() (string, error) {
	dir := os.Getenv("BERTH_E2E_IMAGE_DIR")
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok || !filepath.IsAbs(file) {
			return "", errors.New("cannot locate e2e/image from the test binary (built with -trimpath?): set BERTH_E2E_IMAGE_DIR")
		}
		dir = filepath.Join(filepath.Dir(file), "..", "image")
	}
	script := filepath.Join(dir, "build.sh")
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("image recipe: %w", err)
	}
	return script, nil
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// tail returns the last n lines of s, for error messages.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
