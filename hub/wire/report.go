// Package wire is what berth agents and the hub exchange over HTTP: the
// report an agent posts and the events the hub streams to it. Both sides
// import it; it imports neither.
package wire

import (
	"time"

	"github.com/berth-nix/berth/nixos"
)

// Report is the hub's reading of the report an agent writes after every
// reconcile: the JSON of reconciler.HostReport, field for field. This
// file is the one place the hub depends on that format; a test in
// reconciler/hubclient checks that every field survives the trip.
type Report struct {
	Version       int        `json:"version"`
	Host          string     `json:"host"`
	AgentVersion  string     `json:"agent_version"`
	At            time.Time  `json:"at"`
	Result        string     `json:"result"`
	Reason        string     `json:"reason,omitempty"`
	Error         string     `json:"error,omitempty"`
	Seen          string     `json:"seen,omitempty"`
	LastPoll      time.Time  `json:"last_poll,omitzero"`
	SeenSince     time.Time  `json:"seen_since,omitzero"`
	Applied       *Revision  `json:"applied,omitempty"`
	Rejected      *Rejection `json:"rejected,omitempty"`
	Attempt       *Attempt   `json:"attempt,omitempty"`
	FetchFailures int        `json:"fetch_failures,omitempty"`
}

// Revision is a configuration a host ran or tried.
type Revision struct {
	Revision string    `json:"revision"`
	Commit   string    `json:"commit,omitempty"`
	Digest   string    `json:"digest"`
	Toplevel string    `json:"toplevel,omitempty"`
	At       time.Time `json:"at"`
	Signer   string    `json:"signer,omitempty"`
}

// Rejection is a configuration judged bad, and why.
type Rejection struct {
	Revision
	Phase  string `json:"phase"`
	Reason string `json:"reason"`
}

// Attempt is one try at applying a configuration.
type Attempt struct {
	ID          string             `json:"id"`
	Host        string             `json:"host"`
	Trigger     string             `json:"trigger"`
	Revision    string             `json:"revision"`
	Commit      string             `json:"commit,omitempty"`
	Digest      string             `json:"digest,omitempty"`
	Signer      string             `json:"signer,omitempty"`
	Toplevel    string             `json:"toplevel,omitempty"`
	Previous    string             `json:"previous,omitempty"`
	Result      string             `json:"result"`
	Phase       string             `json:"phase,omitempty"`
	FailedUnits []string           `json:"failed_units,omitempty"`
	Error       string             `json:"error,omitempty"`
	Class       string             `json:"class,omitempty"`
	Durations   map[string]float64 `json:"durations_seconds,omitempty"`
	Reboot      bool               `json:"reboot_needed,omitempty"`
	RebootWhy   []string           `json:"reboot_why,omitempty"`
	Started     time.Time          `json:"started"`
	Finished    time.Time          `json:"finished"`
	LogPath     string             `json:"log_path,omitempty"`
	Diff        *nixos.ClosureDiff `json:"diff,omitempty"`
}

// ReportVersion is the report version the hub understands.
const ReportVersion = 1

// Results of a reconcile or an attempt the hub tells apart (the
// reconciler's Result* constants).
const (
	ResultApplied  = "applied"
	ResultReverted = "reverted"
	ResultFailed   = "failed"
	ResultRefused  = "refused"
)
