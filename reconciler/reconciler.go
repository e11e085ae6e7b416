// Package reconciler decides whether and when to apply a configuration:
// it polls the source, skips what is already applied or known bad, refuses
// history rewrites, hands new configurations to activate, and records
// state and history.
package reconciler

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/report"
	"github.com/berth-nix/berth/source"
)

// Applier applies one artifact as a transaction; activate.Activator is one.
type Applier interface {
	Apply(ctx context.Context, req activate.Request, j activate.Journal) activate.Result
	Resume(ctx context.Context, p activate.Progress, j activate.Journal, log io.Writer) activate.Result
}

// Lineage is implemented by sources whose revisions form a history.
type Lineage interface {
	// Descends reports whether commit has ancestor in its history.
	Descends(ctx context.Context, ancestor, commit string) (bool, error)
}

// Reconciler runs reconciles for one host.
type Reconciler struct {
	Host   string
	Source source.Source
	// Lineage, when set, makes the reconciler refuse a head that does not
	// descend from the last applied commit, unless AllowRewrite.
	Lineage      Lineage
	AllowRewrite bool
	Applier      Applier
	// Attr is the flake attribute of the system to build.
	Attr    string
	Store   Store
	History History
	// Reporter, if set, receives the report written after every reconcile.
	Reporter Reporter
	// StageDir, when set, is where the source stages artifacts; staged
	// trees no longer needed are pruned after each reconcile.
	StageDir string
	// Running, when set, returns the running system (/run/current-system),
	// compared with the applied one before every poll; DriftPolicy says
	// what a difference does (drift.go).
	Running func() (string, error)
	// Booted, when set, returns the booted system (/run/booted-system): a
	// system installed for the next boot only is verified once it is the
	// booted one (bootonly.go).
	Booted      func() (string, error)
	DriftPolicy string
	// Retain, when set, runs after every reconcile to remove what past
	// attempts left behind (old generations, roots, garbage); busy says
	// an attempt is still under way.
	Retain func(ctx context.Context, busy bool) error
	// Gate, when set, must admit a new configuration before it is
	// applied (staged rollouts); GateMaxWait bounds how long an
	// unanswered gate holds one (zero: no bound).
	Gate        Gate
	GateMaxWait time.Duration
	// LockPath is the file locked for the duration of a reconcile.
	LockPath string
	Log      *slog.Logger
	// Now is time.Now unless a test replaces it.
	Now func() time.Time

	seq     int
	unsaved unsaved
}

// Options qualify one reconcile.
type Options struct {
	// Retry tries a configuration again even though it was settled as
	// applied or rejected.
	Retry bool
	// ResumeOnly finishes an attempt a previous agent was interrupted in,
	// and does nothing else: no poll. A paused agent still does this, so a
	// half-applied system never waits for the pause to end.
	ResumeOnly bool
	// Trigger says what started the reconcile (schedule, start, webhook,
	// cli); it is recorded in history.
	Trigger string
}

// Results of a reconcile, as shown to people and mapped to exit codes.
const (
	ResultApplied     = report.ResultApplied
	ResultUnchanged   = report.ResultUnchanged
	ResultReverted    = report.ResultReverted
	ResultFailed      = report.ResultFailed
	ResultRefused     = report.ResultRefused
	ResultInterrupted = report.ResultInterrupted
)

// Report is what one reconcile did.
type Report struct {
	// Result is one of the Result* constants.
	Result string
	// Revision is the revision the source answered, if it answered.
	Revision string
	// Reason explains an unchanged result ("no new revision", ...).
	Reason string
	// Attempt is set when the reconcile recorded one in history.
	Attempt *Attempt
	Err     error
	// Failures is the count of transient failures in a row after this
	// reconcile (State.FetchFailures); the agent backs off while it is
	// positive.
	Failures int
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}
