// Package control is the agent's local API: HTTP over a unix socket that
// the berth CLI uses for status, history, trigger, pause, resume and run.
//
// Paths are versioned (/v1/...). Who may do what is decided from the
// peer's kernel credentials (SO_PEERCRED): root may do everything, members
// of the control group may read (GET), nobody else may do anything. The
// socket file itself is mode 0660 root:<group>, or 0600 when the group
// does not exist, so others cannot even connect.
package control

import (
	"context"
	"errors"
	"time"

	"github.com/berth-nix/berth/internal/buildinfo"
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/reconciler"
)

// Status is what GET /v1/status answers and what berth status prints. Its
// JSON form is stable for scripts.
type Status struct {
	Host  string           `json:"host"`
	State reconciler.State `json:"state"`
	// Paused is the pause in force, if any.
	Paused *reconciler.Pause `json:"paused,omitempty"`
	// NextPoll is when the agent polls next on its schedule; known only
	// when a running agent answered.
	NextPoll time.Time `json:"next_poll,omitzero"`
	// Reconciling is true while the agent runs a reconcile; NextPoll is
	// chosen when it ends.
	Reconciling bool `json:"reconciling,omitempty"`
	// StateNotSaved, when set, says why the agent could not save its state
	// (a full disk, say); State is then the agent's own, newer than the
	// state file.
	StateNotSaved string `json:"state_not_saved,omitempty"`
	// Agent says whether a running agent answered (false: read from the
	// state files).
	Agent bool `json:"agent"`
	// Build is the running agent's build; without an agent, the build of
	// the berth that read the state files.
	Build *buildinfo.Info `json:"build,omitempty"`
}

// RunReport is the wire form of a reconcile's report (POST /v1/run).
type RunReport struct {
	Result   string              `json:"result"`
	Revision string              `json:"revision,omitempty"`
	Reason   string              `json:"reason,omitempty"`
	Attempt  *reconciler.Attempt `json:"attempt,omitempty"`
	Error    string              `json:"error,omitempty"`
	// Class is the error's class (fault.Class.String), so that the
	// caller can act on it as on an error of its own.
	Class string `json:"class,omitempty"`
}

// ReportOf converts a reconcile's report to its wire form.
func ReportOf(rep reconciler.Report) RunReport {
	r := RunReport{Result: rep.Result, Revision: rep.Revision, Reason: rep.Reason, Attempt: rep.Attempt}
	if rep.Err != nil {
		r.Error, r.Class = rep.Err.Error(), fault.ClassOf(rep.Err).String()
	}
	return r
}

// Report converts the wire form back: the error keeps its message and
// its class.
func (r RunReport) Report() reconciler.Report {
	rep := reconciler.Report{Result: r.Result, Revision: r.Revision, Reason: r.Reason, Attempt: r.Attempt}
	if r.Error != "" {
		rep.Err = fault.As(fault.ParseClass(r.Class), errors.New(r.Error))
	}
	return rep
}

// Backend is what the API serves; AgentBackend is the real one.
type Backend interface {
	Status(ctx context.Context) (Status, error)
	History(limit int) ([]reconciler.Attempt, error)
	// Trigger asks for a reconcile now; it fails while paused.
	Trigger(reason string) error
	Pause(d time.Duration, by string) (reconciler.Pause, error)
	// Postpone is the pause a member of the control group may ask for:
	// bounded, once per revision; refusals wrap
	// reconciler.ErrPostponeRefused.
	Postpone(d time.Duration, by string) (reconciler.Pause, error)
	Resume() error
	// Run reconciles now and waits for the result.
	Run(ctx context.Context, retry bool) RunReport
}

// PausedError is returned by Trigger while a pause holds reconciles.
type PausedError struct{ Pause reconciler.Pause }

func (e *PausedError) Error() string {
	if e.Pause.Until.IsZero() {
		return "reconciles are paused until resumed (berth resume)"
	}
	return "reconciles are paused until " + e.Pause.Until.Local().Format(time.RFC3339) + " (berth resume ends it now)"
}
