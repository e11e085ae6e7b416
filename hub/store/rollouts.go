package store

import (
	"context"
	"time"
)

// RolloutStore keeps staged rollouts (docs/rollouts.md): one per
// revision, with its state and the admins' resume and abort actions.
// Like every change, each is written with its audit entry.
type RolloutStore interface {
	// StartRollout begins the rollout of r.Revision; it returns false,
	// writing nothing, when that revision has one already.
	StartRollout(ctx context.Context, r Rollout, e Entry) (bool, error)
	// Rollouts returns the newest limit rollouts, oldest first.
	Rollouts(ctx context.Context, limit int) ([]Rollout, error)
	// SetRolloutState records a change of state, such as a halt
	// (ErrNotFound for an unknown revision).
	SetRolloutState(ctx context.Context, revision, state string, at time.Time, e Entry) error
	// AddRolloutAction records a resume or abort (ErrNotFound for an
	// unknown revision).
	AddRolloutAction(ctx context.Context, a RolloutAction, e Entry) error
	// RolloutActions returns a revision's actions, oldest first.
	RolloutActions(ctx context.Context, revision string) ([]RolloutAction, error)
	// ReportsSince returns every report received at or after since,
	// oldest first: what the rollouts' decisions read.
	ReportsSince(ctx context.Context, since time.Time) ([]Report, error)
}

// Rollout is one revision's rollout as stored: when it began, and its
// last recorded state and when that was recorded.
type Rollout struct {
	Revision string
	Started  time.Time
	State    string
	Updated  time.Time
}

// RolloutAction is an admin's resume or abort.
type RolloutAction struct {
	Revision string
	Kind     string
	Actor    string
	At       time.Time
}
