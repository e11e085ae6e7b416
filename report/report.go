// Package report is the format of a host's report: what the agent writes
// after every reconcile and sends off the host, and what the admin side
// (`berth fleet status`) reads. Both sides use this package; neither
// reaches the other through it.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/berth-nix/berth/internal/buildinfo"
	"github.com/berth-nix/berth/nixos"
)

// File is the report's name in the agent's state directory, and the name
// reporters give it where the admin collects reports.
const File = "report.json"

// Version changes when the meaning of a HostReport changes.
const Version = 1

// MaxSize bounds a report file. A report holds no file contents, only
// revisions, digests, unit names, timings, errors and a closure diff, so
// a larger file is not a report.
const MaxSize = 4 << 20

// Results of a reconcile, as shown to people, recorded in history and
// reports, and mapped to exit codes.
const (
	ResultApplied     = "applied"
	ResultUnchanged   = "unchanged"
	ResultReverted    = "reverted"
	ResultFailed      = "failed"
	ResultRefused     = "refused"
	ResultInterrupted = "interrupted"
	// ResultDeferred is a reconcile the agent held because of the
	// machine's condition (running on battery).
	ResultDeferred = "deferred"
)

// HostReport is what a host tells its admin after every reconcile: what
// it runs, what it last saw, and how its most recent attempt went. It
// never holds file contents: only revisions, digests, store paths, unit
// names, phase timings and error messages.
type HostReport struct {
	Version      int    `json:"version"`
	Host         string `json:"host"`
	AgentVersion string `json:"agent_version"`
	// Build is the agent's build in full: version, VCS revision and
	// time, Go version.
	Build *buildinfo.Info `json:"build,omitempty"`
	// At is when the reconcile that wrote the report ended; a report that
	// is not renewed goes stale.
	At time.Time `json:"at"`
	// Result is this reconcile's (Result* constants); Reason explains an
	// unchanged one, Error a failed one.
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
	// Seen is the revision the source last answered, at LastPoll; it has
	// answered it since SeenSince. With LastPoll and MadeAt a reader
	// judges, under its own maximum age, whether the source looks frozen
	// or broken.
	Seen      string    `json:"seen,omitempty"`
	LastPoll  time.Time `json:"last_poll,omitzero"`
	SeenSince time.Time `json:"seen_since,omitzero"`
	// MadeAt is when the newest revision the host accepted was made
	// (the signed commit time or the manifest's signed Published);
	// freshness is judged from it.
	MadeAt time.Time `json:"made_at,omitzero"`
	// Applied is the configuration that runs and is the boot default,
	// with the identity that signed it when signatures are required.
	Applied *Revision `json:"applied,omitempty"`
	// Rejected is the last configuration judged bad, with its signer.
	Rejected *Rejection `json:"rejected,omitempty"`
	// Attempt is the most recent attempt, made by this reconcile or an
	// earlier one: revision, digest, toplevel, result, failing phase,
	// failed units, error, phase durations, reboot needed, timestamps.
	Attempt       *Attempt `json:"attempt,omitempty"`
	FetchFailures int      `json:"fetch_failures,omitempty"`
	// Drift is set while the running system is not the applied one.
	Drift *Drift `json:"drift,omitempty"`
	// RolledBack is set after berth rollback until the branch is applied
	// again.
	RolledBack *RolledBack `json:"rolled_back,omitempty"`
	// PendingBoot is set while the applied system waits for a reboot.
	PendingBoot *PendingBoot `json:"pending_boot,omitempty"`
}

// Revision identifies one configuration of a host.
type Revision struct {
	Revision string    `json:"revision"`
	Commit   string    `json:"commit,omitempty"`
	Digest   string    `json:"digest"`
	Toplevel string    `json:"toplevel,omitempty"`
	At       time.Time `json:"at"`
	// Signer is who signed the revision, when a signature was required.
	Signer string `json:"signer,omitempty"`
}

// Rejection is a configuration that failed and why.
type Rejection struct {
	Revision
	Phase  string `json:"phase"`
	Reason string `json:"reason"`
}

// Attempt is one reconcile that got as far as a new configuration.
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
	// BootOnly says why the system was installed for the next boot
	// without a live switch.
	BootOnly string    `json:"boot_only,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	LogPath  string    `json:"log_path,omitempty"`
	// Diff is what the attempt's system changes compared with the one
	// that was running (berth history --diff).
	Diff *nixos.ClosureDiff `json:"diff,omitempty"`
}

// Read reads the report file p, at most MaxSize bytes; errors name the
// file.
func Read(p string) (HostReport, error) {
	f, err := os.Open(p)
	if err != nil {
		return HostReport{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return HostReport{}, err
	}
	rep, err := Parse(data)
	if err != nil {
		return rep, fmt.Errorf("report %s: %w", p, err)
	}
	return rep, nil
}

// ErrTooLarge is returned for a report over MaxSize.
var ErrTooLarge = fmt.Errorf("larger than %d bytes: not a berth report", MaxSize)

// Parse decodes one report and checks that this berth understands it.
func Parse(data []byte) (HostReport, error) {
	var rep HostReport
	if len(data) > MaxSize {
		return rep, ErrTooLarge
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&rep); err != nil {
		return rep, fmt.Errorf("does not parse: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return rep, errors.New("does not parse: more than one JSON value")
	}
	if rep.Version != Version || rep.Host == "" {
		return rep, fmt.Errorf("version %d, host %q: not a berth report this berth understands", rep.Version, rep.Host)
	}
	return rep, nil
}
