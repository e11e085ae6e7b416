package testhost

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
)

// PATH is the search path of every command run in a host: /usr/local/bin
// first, so the nix wrapper that logs invocations shadows /usr/bin/nix.
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Command prepares args to run inside the host, in all of its namespaces
// and with a clean environment (PATH, HOME=/root, LANG=C.UTF-8). Use it
// for stdin, streaming output or background processes; Exec covers the
// common case.
func (h *Host) Command(ctx context.Context, args ...string) *exec.Cmd {
	nsargs := append([]string{"-t", strconv.Itoa(h.leader), "-a", "--"}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", nsargs...)
	cmd.Env = []string{"PATH=" + PATH, "HOME=/root", "LANG=C.UTF-8", "USER=root", "LOGNAME=root"}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Exec runs args inside the host and returns its standard output. A
// failure's error includes the command's standard error.
func (h *Host) Exec(ctx context.Context, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := h.Command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("host %s: %s: %w\n%s", h.Name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// Run runs args inside the host and returns standard output and standard
// error together; it fails t, showing that output, when the command fails.
func (h *Host) Run(t testing.TB, args ...string) string {
	t.Helper()
	cmd := h.Command(t.Context(), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("host %s: %s: %v\n%s", h.Name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Path returns the outside path of p, a path inside the host. Symlinks
// along p are resolved inside the host's root, never on the outside.
func (h *Host) Path(p string) string {
	joined, err := securejoin.SecureJoin(h.root, p)
	if err != nil {
		// SecureJoin fails only on symlink loops; the lexical path
		// still stays inside the root.
		return filepath.Join(h.root, filepath.Clean("/"+p))
	}
	return joined
}

// WriteFile atomically writes data to p inside the host, creating parent
// directories (mode 0755) as needed.
func (h *Host) WriteFile(p string, data []byte, mode os.FileMode) error {
	dst := h.Path(p)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".testhost-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), mode)
	}
	if err != nil {
		return fmt.Errorf("writing %s in host %s: %w", p, h.Name, err)
	}
	return os.Rename(tmp.Name(), dst)
}

// CopyIn copies src (a file or directory tree on the outside) to dst
// inside the host, preserving modes; dst is replaced, not entered.
func (h *Host) CopyIn(src, dst string) error {
	target := h.Path(dst)
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	out, err := exec.Command("cp", "-a", "--no-target-directory", src, target).CombinedOutput()
	if err != nil {
		return fmt.Errorf("copying %s to %s in host %s: %w: %s", src, dst, h.Name, err, out)
	}
	return nil
}

// Journal returns the journal of unit since boot, for test diagnostics.
func (h *Host) Journal(t testing.TB, unit string) string {
	t.Helper()
	return h.Run(t, "journalctl", "--no-pager", "-b", "-o", "short-precise", "-u", unit)
}
