// Package store is the hub's memory: hosts' reports, API keys, fleet
// facts and the audit log. Every change is written together with its
// audit entry, in one transaction: there is no state change without a
// record of who made it.
//
// Backends: hub/store/sqlite (the default, embedded) and
// hub/store/postgres; hub/store/conformance is the suite both pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/berth-nix/berth/hub/wire"
)

// ErrNotFound is returned for a key or host the store does not hold.
var ErrNotFound = errors.New("not found")

// Store is what the hub needs of a database. Methods that change state
// take the Entry that records the change and write both or neither.
type Store interface {
	// AddReport keeps r as its host's latest report and in its history,
	// and returns the report's id.
	AddReport(ctx context.Context, r Report, e Entry) (int64, error)
	// Latest returns every host's latest report, sorted by host.
	Latest(ctx context.Context) ([]Report, error)
	// Hosts lists the hosts that ever reported, sorted.
	Hosts(ctx context.Context) ([]string, error)
	// History returns up to limit reports of host, newest first.
	History(ctx context.Context, host string, limit int) ([]Report, error)

	// PutKey adds an API key; a key of the same name is an error.
	PutKey(ctx context.Context, k Key, e Entry) error
	// DeleteKey removes the named key (ErrNotFound when there is none).
	DeleteKey(ctx context.Context, name string, e Entry) error
	// Keys lists the API keys, sorted by name.
	Keys(ctx context.Context) ([]Key, error)

	// SetFact stores a named fleet fact, such as the branch head a
	// webhook announced; Fact reads it ("" when unset).
	SetFact(ctx context.Context, name, value string, e Entry) error
	Fact(ctx context.Context, name string) (string, error)

	// Record appends an audit entry that goes with no state change (a
	// webhook delivery, a trigger, a refused request).
	Record(ctx context.Context, e Entry) error
	// Audit returns entries matching q, newest first.
	Audit(ctx context.Context, q Query) ([]Entry, error)
	// Prune deletes audit entries and reports older than before — the
	// only deletion the audit log allows — and records e saying so. It
	// keeps each host's latest report.
	Prune(ctx context.Context, before time.Time, e Entry) (int64, error)

	RolloutStore

	Close() error
}

// Report is one report as the hub received it.
type Report struct {
	ID       int64
	Host     string
	Received time.Time
	Report   wire.Report
	// Raw is the report as the agent sent it.
	Raw     []byte
	LogTail string
}

// Roles of API keys, each including the ones before it.
const (
	RoleRead    = "read"    // the page, the JSON API's reads, metrics
	RoleOperate = "operate" // and triggers
	RoleAdmin   = "admin"   // and keys and the audit log
)

// Key is an API key. Only the SHA-256 of its secret is stored.
type Key struct {
	Name    string
	Role    string
	Hash    string
	Created time.Time
}

// Entry is one line of the audit log: who did what to what, when.
type Entry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Query selects audit entries; zero fields match everything.
type Query struct {
	Since  time.Time
	Action string
	Target string
	Limit  int
}
