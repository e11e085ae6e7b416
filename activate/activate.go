// Package activate applies one staged configuration to this machine as a
// transaction: build, pre-hook, preflight, files, test, verify, then
// promote to the boot default, or revert to the recorded previous system.
//
// The boot entry and the system profile are only ever touched in the
// promote phase, after the new system ran and was judged healthy. Every
// step from files onwards is journaled before it starts, so an agent that
// dies at any point can Resume the attempt and converge.
package activate

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berth-nix/berth/activate/files"
	"github.com/berth-nix/berth/nixos"
)

// Policy holds the knobs of a transaction.
type Policy struct {
	// Strict refuses to deploy while any unit has failed; otherwise units
	// that failed before the switch are left out of the verdict.
	Strict      bool
	TestTimeout time.Duration
	BootTimeout time.Duration
	// Settle is the pause between the switch and the verdict, for units
	// that fail a moment after they start.
	Settle time.Duration
	// LockWait is how long to wait for another switch-to-configuration.
	LockWait time.Duration
	// Poll is how often to look at a running unit or a held lock.
	Poll time.Duration
	// Inhibitors says what a system whose switch inhibitors changed gets:
	// InhibitBoot (""), InhibitHold or InhibitForce (phase_inhibit.go).
	Inhibitors string
}

// Activator applies configurations to the machine it runs on.
type Activator struct {
	Nix     Builder
	Systemd Switcher
	Units   UnitLister
	Policy  Policy
	// Profile is the system profile, /nix/var/nix/profiles/system.
	Profile string
	// GCRoots is the directory of GC roots for the candidate and the last
	// good system.
	GCRoots string
	// Root is "/" on a real host; tests may point it elsewhere.
	Root string
	// Files installs the host's verbatim files tree; nil installs none.
	Files *files.Installer
	// Health, Hooks and DeadMan are optional; nil disables each.
	Health  *Health
	Hooks   *Hooks
	DeadMan *DeadMan
	// LockPath is switch-to-configuration's lock file.
	LockPath string
	// Differ, when set, compares each new system with the running one;
	// the diff goes to the attempt's log and its Result.
	Differ ClosureDiffer
}

// ownUnit tells berth's own transient units apart in verdicts: the unit of
// a switch that exited 4 is itself failed until released.
func ownUnit(name string) bool { return strings.HasPrefix(name, "berth-") }

// Phase names one step of an attempt.
type Phase string

const (
	PhaseBuild Phase = "build"
	// PhasePreHooks runs the admin's pre hooks, after the build and before
	// anything on the machine changes.
	PhasePreHooks  Phase = "pre-hook"
	PhasePreflight Phase = "preflight"
	// PhaseFiles installs the host's verbatim files tree: after preflight
	// and before the test phase, so the services the switch starts see
	// the new files. A revert restores what it replaced; a promotion
	// records it.
	PhaseFiles   Phase = "files"
	PhaseTest    Phase = "test"
	PhaseVerify  Phase = "verify"
	PhasePromote Phase = "promote"
	PhaseRevert  Phase = "revert"
)

// Outcome is how an attempt ended.
type Outcome string

const (
	// Applied: the new system runs and is the boot default.
	Applied Outcome = "applied"
	// Unchanged: the built system is the one already running.
	Unchanged Outcome = "unchanged"
	// Reverted: the new system was tried and the previous one runs again;
	// the boot default was not changed.
	Reverted Outcome = "reverted"
	// Failed: nothing was activated (build or preflight failed), or a
	// revert itself failed — Err says which.
	Failed Outcome = "failed"
	// Interrupted: the agent is stopping; the journal still holds the
	// attempt and Resume finishes it on the next start.
	Interrupted Outcome = "interrupted"
)

// Builder builds the system from a flake directory.
type Builder interface {
	BuildFlake(ctx context.Context, flakeDir, attr string, log io.Writer) (string, error)
	SetProfile(ctx context.Context, profile, toplevel string, log io.Writer) error
}

// Switcher runs switch-to-configuration in transient systemd units, which
// belong to systemd and outlive the agent.
type Switcher interface {
	Switch(ctx context.Context, toplevel, action, unit, logPath string, timeout time.Duration) (nixos.Outcome, error)
	Wait(ctx context.Context, unit string, poll time.Duration) (nixos.Outcome, error)
	UnitOutcome(ctx context.Context, unit string) (nixos.Outcome, error)
	Release(ctx context.Context, unit string) error
}

// UnitLister reports the units systemd currently counts as failed.
type UnitLister interface {
	FailedUnits(ctx context.Context) ([]string, error)
}

// Journal persists an attempt's Progress before each phase that changes
// the system, so that Resume can finish the attempt after a crash.
type Journal interface {
	Record(Progress) error
}

// Progress is the part of an attempt that must survive the agent.
type Progress struct {
	ID       string   `json:"id"`
	Revision string   `json:"revision,omitempty"`
	Digest   string   `json:"digest,omitempty"`
	Phase    Phase    `json:"phase"`
	Toplevel string   `json:"toplevel"`
	Previous string   `json:"previous"`
	Baseline []string `json:"baseline,omitempty"`
	// Unit is the transient unit of the phase, when it runs one.
	Unit    string    `json:"unit,omitempty"`
	LogPath string    `json:"log_path"`
	Started time.Time `json:"started"`
	// Cause says why a revert was started.
	Cause string `json:"cause,omitempty"`
	// Outcome is how the test unit ended, kept from the verify phase on:
	// the unit itself is released once it has been read.
	Outcome *nixos.Outcome `json:"outcome,omitempty"`
	// BootOnly says why the system is installed for the next boot without
	// a live switch (changed switch inhibitors).
	BootOnly string `json:"boot_only,omitempty"`
	// AfterBoot marks the verification of a system that reached the
	// machine through a reboot: it is the boot default already, and a
	// revert makes Previous the boot default again.
	AfterBoot bool `json:"after_boot,omitempty"`
}

// Request is one staged configuration to apply.
type Request struct {
	// ID is unique per attempt; it names the transient units.
	ID string
	// Revision and Digest say what is applied, for hooks and logs.
	Revision string
	Digest   string

	FlakeDir string
	Attr     string
	// Log receives the attempt's own messages and nix's output; LogPath is
	// the same file, appended to by the transient units.
	Log     io.Writer
	LogPath string
	// FilesDir is the staged verbatim files tree; it may not exist.
	FilesDir string
}

// Result is what an attempt did.
type Result struct {
	// Revision and Digest are the Request's (or the Progress's).
	Revision string
	Digest   string
	Outcome  Outcome
	// Phase is the phase that failed, or the last one run.
	Phase        Phase
	Toplevel     string
	Previous     string
	FailedUnits  []string
	Durations    map[Phase]time.Duration
	RebootNeeded bool
	RebootWhy    []string
	// BootOnly, when set, says why the system was made the boot default
	// without being switched to: it runs after the next reboot.
	BootOnly string
	// Diff is what the new system changes compared with the one that was
	// running, when it could be computed (see Activator.Differ).
	Diff *ClosureDiff
	Err  error
}

func (r *Result) timed(p Phase, start time.Time) {
	if r.Durations == nil {
		r.Durations = map[Phase]time.Duration{}
	}
	r.Durations[p] += time.Since(start).Round(time.Millisecond)
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "berth: "+format+"\n", args...)
	}
}
