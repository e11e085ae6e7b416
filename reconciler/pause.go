package reconciler

import (
	"errors"
	"fmt"
	"time"

	"github.com/berth-nix/berth/internal/atomicfile"
)

// Pause holds the agent's scheduled and triggered reconciles. It is kept in
// its own file beside the state file, so it survives restarts of the agent
// and of the machine, and so that it can be set while no agent runs.
type Pause struct {
	Since time.Time `json:"since"`
	// Until is when the pause ends on its own; zero means until resumed.
	Until time.Time `json:"until,omitzero"`
	// By says who asked for it ("uid 0"), for status.
	By string `json:"by,omitempty"`
	// Revision, when set, ends the pause once the source answers another
	// revision (the pause berth rollback leaves).
	Revision string `json:"revision,omitempty"`
	// Postponed is the revision the source answered when someone who is
	// not root postponed the update (Agent.Postpone); the file is kept
	// after the postpone ends, so the same update is postponed only once.
	Postponed string `json:"postponed,omitempty"`
}

// ActiveAt reports whether the pause holds at now. A nil pause never holds.
func (p *Pause) ActiveAt(now time.Time) bool {
	return p != nil && (p.Until.IsZero() || now.Before(p.Until))
}

// PauseStore reads and writes the pause file. A zero PauseStore (no Path)
// never pauses.
type PauseStore struct{ Path string }

// Load returns the saved pause, or nil when there is none. An expired pause
// is returned as saved; callers judge it with ActiveAt.
func (s PauseStore) Load() (*Pause, error) {
	if s.Path == "" {
		return nil, nil
	}
	var p Pause
	ok, err := atomicfile.ReadJSON(s.Path, &p)
	if err != nil {
		return nil, fmt.Errorf("pause file %w", err)
	}
	if !ok {
		return nil, nil
	}
	return &p, nil
}

// Save replaces the pause file atomically.
func (s PauseStore) Save(p Pause) error {
	if s.Path == "" {
		return errors.New("pausing is not configured")
	}
	return atomicfile.WriteJSON(s.Path, p)
}

// Clear removes the pause file; clearing no pause is not an error.
func (s PauseStore) Clear() error {
	if s.Path == "" {
		return nil
	}
	return atomicfile.Remove(s.Path)
}
