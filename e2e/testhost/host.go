package testhost

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BootTimeout bounds how long Boot waits for systemd inside the container
// to finish starting up.
const BootTimeout = 90 * time.Second

// Host is one booted, disposable test host. Its root file system is an
// overlay over the cached image, so writes never reach the image.
type Host struct {
	// Name is the container's machine name and host name.
	Name string

	dir    string // holds upper/, work/, root/ and the bookkeeping files
	root   string // the merged overlay: the container's /
	nspawn *exec.Cmd
	done   chan struct{} // closed when nspawn has exited
	// cgroups are the host's own cgroups, one per hierarchy.
	cgroups []string
	leader  int // PID (in our namespace) of the container's systemd

	consoleMu sync.Mutex
	console   bytes.Buffer // systemd-nspawn's output, for diagnostics
}

// Options adjust a host before it boots.
type Options struct {
	// Hostname is the container's host name; default a unique
	// "berth-<hex>" that is also the machine name.
	Hostname string
	// Setup, if set, runs after the root file system is in place and
	// before systemd starts: WriteFile, CopyIn and Path work, Exec does
	// not. Use it for units that must start at boot.
	Setup func(h *Host) error
}

// Boot starts a fresh host from the cached image and waits until systemd
// reports the system running. A degraded boot fails t with the failed
// units. Teardown (kill, unmount, remove) is registered with t.Cleanup and
// runs even when the test fails or panics.
func Boot(t testing.TB) *Host { t.Helper(); return BootWith(t, Options{}) }

// BootWith is Boot with options.
func BootWith(t testing.TB, opts Options) *Host {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	image, err := Image(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h, err := start(image, opts)
	if h != nil {
		t.Cleanup(func() { h.teardown(t) })
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := h.waitRunning(); err != nil {
		t.Fatalf("host %s did not boot: %v\nconsole:\n%s", h.Name, err, tail(h.Console(), 30))
	}
	return h
}

// start prepares the overlay and launches systemd-nspawn. A non-nil Host
// is returned whenever something needs tearing down, even with an error.
func start(image string, opts Options) (*Host, error) {
	sweepStale()
	dir, err := os.MkdirTemp(stateDir(), ownerPrefix())
	if err != nil {
		return nil, fmt.Errorf("creating host directory: %w", err)
	}
	h := &Host{Name: "berth-" + randomHex(6), dir: dir, root: filepath.Join(dir, "root")}
	if err := mountOverlay(image, dir); err != nil {
		return h, err
	}
	if err := h.WriteFile("/etc/machine-id", []byte(randomHex(16)+"\n"), 0o444); err != nil {
		return h, err
	}
	hostname := opts.Hostname
	if hostname == "" {
		hostname = h.Name
	}
	// systemd inside sets the host name from /etc/hostname, overriding
	// nspawn's --hostname.
	if err := h.WriteFile("/etc/hostname", []byte(hostname+"\n"), 0o644); err != nil {
		return h, err
	}
	if opts.Setup != nil {
		if err := opts.Setup(h); err != nil {
			return h, fmt.Errorf("setting up host %s before boot: %w", h.Name, err)
		}
	}
	if err := h.launch(hostname); err != nil {
		return h, err
	}
	return h, h.findLeader()
}

// launch runs systemd-nspawn in the background. --keep-unit and
// --register=no keep it independent of a systemd on the outside (there
// is none on CI machines); the network is shared with the outside so the
// container reaches test servers on 127.0.0.1.
func (h *Host) launch(hostname string) error {
	cgroups, err := hostCgroups(h.Name)
	h.cgroups = cgroups
	if err != nil {
		return err
	}
	argv := intoCgroups(h.cgroups, []string{"systemd-nspawn", "--quiet", "--keep-unit", "--register=no",
		"--boot", "--directory", h.root, "--machine", h.Name, "--hostname", hostname,
		"--console=pipe", "--link-journal=no", "--resolv-conf=copy-host", "--timezone=off"})
	h.nspawn = exec.Command(argv[0], argv[1:]...)
	h.nspawn.Stdout = (*consoleWriter)(h)
	h.nspawn.Stderr = (*consoleWriter)(h)
	// If the test binary dies without running cleanups, take nspawn
	// with it; sweepStale kills the container on the next run.
	h.nspawn.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := h.nspawn.Start(); err != nil {
		return fmt.Errorf("starting systemd-nspawn: %w", err)
	}
	h.done = make(chan struct{})
	go func() { h.nspawn.Wait(); close(h.done) }()
	return nil
}

// waitRunning waits for `systemctl is-system-running --wait` to answer
// "running"; "degraded" is an error listing the failed units.
func (h *Host) waitRunning() error {
	ctx, cancel := context.WithTimeout(context.Background(), BootTimeout)
	defer cancel()
	for {
		out, err := h.Exec(ctx, "systemctl", "is-system-running", "--wait")
		state := strings.TrimSpace(string(out))
		switch {
		case state == "running":
			return nil
		case state == "degraded":
			failed, _ := h.Exec(ctx, "systemctl", "--failed", "--no-legend", "--plain")
			return fmt.Errorf("system is degraded; failed units:\n%s", failed)
		case ctx.Err() != nil:
			return fmt.Errorf("still %q after %v: %v", state, BootTimeout, err)
		}
		// The bus socket may not exist yet: try again shortly.
		select {
		case <-h.done:
			return fmt.Errorf("systemd-nspawn exited: %v", h.nspawn.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Console returns what systemd-nspawn and the container's console printed.
func (h *Host) Console() string {
	h.consoleMu.Lock()
	defer h.consoleMu.Unlock()
	return h.console.String()
}

type consoleWriter Host

func (w *consoleWriter) Write(p []byte) (int, error) {
	w.consoleMu.Lock()
	defer w.consoleMu.Unlock()
	return w.console.Write(p)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
