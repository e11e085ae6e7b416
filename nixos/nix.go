// Package nixos knows Nix and NixOS: it builds a host's system from a
// flake, points profiles and garbage-collector roots at it, inspects
// system closures, and runs switch-to-configuration inside transient
// systemd units that outlive the agent.
package nixos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/berth-nix/berth/internal/fault"
)

// Features is the value passed to --extra-experimental-features: Nix 2.8
// and current Nix both need it for `nix build` on a flake.
const Features = "nix-command flakes"

// Nix runs the nix command line.
type Nix struct {
	// Command is the nix binary; "" means "nix" on PATH.
	Command string
	// ExtraArgs are added to `nix build` before the installable, e.g.
	// {"--option", "substituters", ""}. They are not passed to nix-env.
	ExtraArgs []string
	// Quiet, when set, runs every nix command at low priority (quiet.go).
	Quiet *Quiet
	// BuildTimeout bounds each build (BuildFlake) and each download of a
	// prebuilt system (Realise); 0 means none. A build or download that
	// runs out of it is cancelled and its error is Transient.
	BuildTimeout time.Duration
}

// errTimedOut is the cause of a context ended by BuildTimeout.
var errTimedOut = errors.New("timed out")

// bounded returns ctx limited by BuildTimeout.
func (n *Nix) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if n == nil || n.BuildTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, n.BuildTimeout, errTimedOut)
}

// timedOut describes what ran out of BuildTimeout, or returns nil when
// ctx did not end that way.
func (n *Nix) timedOut(ctx context.Context, what string) error {
	if !errors.Is(context.Cause(ctx), errTimedOut) {
		return nil
	}
	return fault.Transientf("%s: cancelled after nix.build_timeout (%s); it is tried again later", what, n.BuildTimeout)
}

// stopGrace is how long a cancelled nix gets after SIGINT to clean up
// before it is killed.
const stopGrace = 10 * time.Second

func (n *Nix) command() string {
	if n == nil || n.Command == "" {
		return "nix"
	}
	return n.Command
}

// BuildFlake builds path:<flakeDir>#<attr> without creating a result link
// and returns its "out" store path. Nix's stdout and stderr, including
// build logs, are streamed to log (which may be nil).
//
// The flake's lock file is never written and its nixConfig is never
// accepted. An evaluation error, a missing attribute or a failed build is
// Stalling, with the last lines of nix's error in the message; a cancelled
// ctx, a missing nix binary or a known environmental failure (network,
// disk full) is Transient.
func (n *Nix) BuildFlake(ctx context.Context, flakeDir, attr string, log io.Writer) (string, error) {
	ref, err := flakeRef(flakeDir, attr)
	if err != nil {
		return "", err
	}
	args := []string{"--extra-experimental-features", Features, "build",
		"--json", "--no-link", "--no-write-lock-file", "--print-build-logs"}
	args = append(append(args, n.extraArgs()...), ref)
	var stdout bytes.Buffer
	ctx, cancel := n.bounded(ctx)
	defer cancel()
	tail, err := n.run(ctx, n.command(), args, &stdout, log)
	if err != nil {
		if terr := n.timedOut(ctx, "nix build "+ref); terr != nil {
			return "", terr
		}
		return "", buildError(ctx, ref, err, tail)
	}
	return parseBuildJSON(ref, stdout.Bytes())
}

func (n *Nix) extraArgs() []string {
	if n == nil {
		return nil
	}
	return n.ExtraArgs
}

// flakeRef makes the path: installable; characters that end a path in a
// flake reference cannot be part of the directory name.
func flakeRef(flakeDir, attr string) (string, error) {
	abs, err := filepath.Abs(flakeDir)
	if err != nil {
		return "", fmt.Errorf("flake directory %q: %w", flakeDir, err)
	}
	if strings.ContainsAny(abs, "#?") {
		return "", fmt.Errorf("flake directory %q: '#' and '?' cannot appear in a path: flake reference", abs)
	}
	if attr == "" {
		return "", fmt.Errorf("flake %s: empty attribute", abs)
	}
	return "path:" + abs + "#" + attr, nil
}

// run runs name with args, copying stdout to both stdout and log and
// stderr to log, and returns the last lines of stderr.
func (n *Nix) run(ctx context.Context, name string, args []string, stdout, log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	log = &lockedWriter{w: log}
	tail := &tailWriter{max: 12}
	name, args = n.quiet().wrap(name, args)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = log
	if stdout != nil {
		cmd.Stdout = io.MultiWriter(stdout, log)
	}
	cmd.Stderr = io.MultiWriter(tail, log)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = stopGrace
	err := cmd.Run()
	return tail.String(), err
}

// buildError classifies a failed nix build.
func buildError(ctx context.Context, ref string, err error, tail string) error {
	if ctx.Err() != nil {
		return fault.Transientf("nix build %s: interrupted: %w", ref, ctx.Err())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return fault.Transientf("nix build %s: %w", ref, err)
	}
	msg := fmt.Sprintf("nix build %s: %v\n%s", ref, err, tail)
	if environmental(tail) {
		return fault.Transientf("%s", msg)
	}
	return fault.Stallingf("%s", msg)
}

// environmentMarkers are nix error texts that come from the machine or
// the network rather than from the configuration being built.
var environmentMarkers = []string{
	"unable to download",
	"No space left on device",
	"Could not resolve host",
	"Connection refused",
	"Connection timed out",
	"database is locked",
	"interrupted by the user",
}

func environmental(stderr string) bool {
	for _, m := range environmentMarkers {
		if strings.Contains(stderr, m) {
			return true
		}
	}
	return false
}

// buildResult is one element of `nix build --json`.
type buildResult struct {
	DrvPath string            `json:"drvPath"`
	Outputs map[string]string `json:"outputs"`
}

func parseBuildJSON(ref string, out []byte) (string, error) {
	var results []buildResult
	if err := json.Unmarshal(out, &results); err != nil {
		return "", fault.Transientf("nix build %s: unreadable --json output: %w", ref, err)
	}
	if len(results) != 1 {
		return "", fault.Stallingf("nix build %s: built %d derivations, want 1", ref, len(results))
	}
	path, ok := results[0].Outputs["out"]
	if !ok {
		return "", fault.Stallingf("nix build %s: derivation %s has no \"out\" output", ref, results[0].DrvPath)
	}
	if !IsStorePath(path) {
		return "", fault.Stallingf("nix build %s: output %q is not a store path", ref, path)
	}
	return path, nil
}
