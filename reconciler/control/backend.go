package control

import (
	"context"
	"time"

	"github.com/berth-nix/berth/internal/buildinfo"
	"github.com/berth-nix/berth/reconciler"
)

// AgentBackend serves the API from a running agent.
type AgentBackend struct {
	Agent *reconciler.Agent
}

var _ Backend = AgentBackend{}

// Status is the state as the running agent knows it (the state file, or
// what it could not save and why) with what only the agent knows.
func (b AgentBackend) Status(context.Context) (Status, error) {
	st, notSaved, err := b.Agent.Rec.CurrentState()
	if err != nil {
		return Status{}, err
	}
	bi := buildinfo.Read()
	s := Status{Host: b.Agent.Rec.Host, State: st, Paused: b.Agent.Paused(), NextPoll: b.Agent.Next(),
		Reconciling: b.Agent.Reconciling(), Agent: true, Build: &bi}
	if notSaved != nil {
		s.StateNotSaved = notSaved.Error()
	}
	return s, nil
}

// History lists up to limit attempts, newest first; limit <= 0 lists all.
func (b AgentBackend) History(limit int) ([]reconciler.Attempt, error) {
	atts, err := b.Agent.Rec.History.List()
	if limit > 0 && len(atts) > limit {
		atts = atts[:limit]
	}
	return atts, err
}

// Trigger queues a reconcile unless a pause holds them.
func (b AgentBackend) Trigger(reason string) error {
	if p := b.Agent.Holding(); p != nil {
		return &PausedError{Pause: *p}
	}
	b.Agent.Trigger(reason)
	return nil
}

func (b AgentBackend) Pause(d time.Duration, by string) (reconciler.Pause, error) {
	return b.Agent.Pause(d, by)
}

func (b AgentBackend) Postpone(d time.Duration, by string) (reconciler.Pause, error) {
	return b.Agent.Postpone(d, by)
}

func (b AgentBackend) Resume() error { return b.Agent.Resume() }

func (b AgentBackend) Run(ctx context.Context, retry bool) RunReport {
	return ReportOf(b.Agent.RunNow(ctx, reconciler.Options{Retry: retry, Trigger: "cli"}))
}
