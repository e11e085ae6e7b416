package reconciler

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/report"
)

// stateVersion changes when the state file's meaning changes.
const stateVersion = 1

// State is what the agent remembers between runs. It is written atomically
// after every step that changes it, so a crash at any point leaves the
// previous or the next version on disk; a change of the poll times alone
// is written at most every HeartbeatEvery (see Save).
type State struct {
	Version int `json:"version"`
	// LastPoll is when the source last answered; LastSeen what it said.
	LastPoll time.Time `json:"last_poll,omitzero"`
	LastSeen string    `json:"last_seen,omitempty"`
	// SeenSince is when the source first answered LastSeen. It is for
	// people only: the revision string is unverified, so freshness is not
	// judged from it.
	SeenSince time.Time `json:"seen_since,omitzero"`
	// MadeAt is when the newest revision accepted from the source was
	// made: its commit time, or its manifest's publish time, both covered
	// by the signature when signatures are required (freshness.go).
	MadeAt time.Time `json:"made_at,omitzero"`
	// Settled is the last revision whose attempt reached a verdict that
	// retrying cannot change (applied, unchanged, or refused as bad); a
	// poll that answers it again costs nothing more.
	Settled string `json:"settled,omitempty"`
	// Applied is the configuration that runs and is the boot default.
	Applied *Revision `json:"applied,omitempty"`
	// Rejected is the last configuration judged bad; it is not tried again
	// until its digest changes or a retry is asked for.
	Rejected *Rejection `json:"rejected,omitempty"`
	// InProgress is the attempt an agent was in the middle of.
	InProgress *InProgress `json:"in_progress,omitempty"`
	// Last is the most recent attempt, whatever its result.
	Last *Summary `json:"last,omitempty"`
	// FetchFailures counts consecutive transient failures, for backoff.
	FetchFailures int `json:"fetch_failures,omitempty"`
	// Interruptions counts attempts of one digest that ended with the
	// agent gone and the outcome unknown.
	Interruptions map[string]int `json:"interruptions,omitempty"`
	// Deferred is set while the agent holds reconciles because of the
	// machine's condition, such as running on battery (deferral.go).
	Deferred *Deferral `json:"deferred,omitempty"`
	// Drift is set while the running system is not the applied one.
	Drift *Drift `json:"drift,omitempty"`
	// RolledBack is set from berth rollback until the branch is applied
	// again.
	RolledBack *RolledBack `json:"rolled_back,omitempty"`
	// PendingBoot is set while an applied system waits for a reboot
	// (bootonly.go).
	PendingBoot *PendingBoot `json:"pending_boot,omitempty"`
	// Gated is set while a new configuration waits for its rollout wave
	// (gate.go).
	Gated *Gated `json:"gated,omitempty"`
}

// Revision identifies one configuration of this host.
type Revision = report.Revision

// Rejection is a configuration that failed and why.
type Rejection = report.Rejection

// Drift, RolledBack and PendingBoot are the host's state between
// deployments, reported as they are (drift.go, rollback.go, bootonly.go).
type (
	Drift       = report.Drift
	RolledBack  = report.RolledBack
	PendingBoot = report.PendingBoot
)

// InProgress is the journal of an attempt that reached the files phase.
type InProgress struct {
	Revision
	Progress activate.Progress `json:"progress"`
}

// Summary is the short form of the last attempt, for status.
type Summary struct {
	ID       string    `json:"id"`
	Revision string    `json:"revision"`
	Result   string    `json:"result"`
	Phase    string    `json:"phase,omitempty"`
	Error    string    `json:"error,omitempty"`
	At       time.Time `json:"at"`
}

// Store reads and writes the state file.
type Store struct{ Path string }

// Load returns the saved state, or an empty one when none was saved. A
// file that does not parse is an error naming it; it is never overwritten
// silently.
func (s Store) Load() (State, error) {
	var st State
	data, err := readNewest(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{Version: stateVersion}, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("state file %s is corrupt: %w", s.Path, err)
	}
	if st.Version != stateVersion {
		return st, fmt.Errorf("state file %s has version %d, this berth understands %d", s.Path, st.Version, stateVersion)
	}
	return st, nil
}

// Save replaces the state file atomically, unless it would change only
// the poll times and they are younger than HeartbeatEvery: those are kept
// in this process's memory, and Load returns them.
func (s Store) Save(st State) error {
	st.Version = stateVersion
	data, err := indentJSON(st)
	if err != nil {
		return err
	}
	if _, err := saveUnlessHeartbeat(s.Path, data, stateHeartbeat); err != nil {
		return err
	}
	return s.Anchor().Keep(st.Applied)
}

// SetAside renames a state file that could not be read out of the way,
// keeping it for inspection, so that the agent can start afresh.
func (s Store) SetAside() (string, error) {
	dst := fmt.Sprintf("%s.corrupt-%s", s.Path, time.Now().UTC().Format("20060102T150405Z"))
	return dst, os.Rename(s.Path, dst)
}
