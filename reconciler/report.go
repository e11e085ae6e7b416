package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-nix/berth/internal/atomicfile"
	"github.com/berth-nix/berth/internal/buildinfo"
)

// ReportFile is the report's name in the state directory, and the name
// reporters give it where the admin collects reports.
const ReportFile = "report.json"

// reportVersion changes when the meaning of a HostReport changes.
const reportVersion = 1

// reportTimeout bounds one Reporter.Send.
const reportTimeout = 15 * time.Second

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
	// or broken (see HostReport.Freshness).
	Seen      string    `json:"seen,omitempty"`
	LastPoll  time.Time `json:"last_poll,omitzero"`
	SeenSince time.Time `json:"seen_since,omitzero"`
	// MadeAt is when the newest revision the host accepted was made
	// (State.MadeAt); freshness is judged from it.
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

// Reporter delivers reports off the host, e.g. to an HTTP endpoint or
// the host's reports/ directory on an SFTP server. Send must respect
// ctx's deadline; its failure is logged and never fails a reconcile.
type Reporter interface {
	// Send delivers rep. logPath is the log of the attempt rep.Attempt
	// describes when this reconcile made it, else ""; a reporter may
	// upload it (size-capped).
	Send(ctx context.Context, rep HostReport, logPath string) error
}

// ReportPath is where the agent with state directory stateDir keeps its
// latest report.
func ReportPath(stateDir string) string { return filepath.Join(stateDir, ReportFile) }

// ReadReport reads a report file; errors name the file.
func ReadReport(p string) (HostReport, error) {
	var rep HostReport
	data, err := os.ReadFile(p)
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return rep, fmt.Errorf("report %s does not parse: %w", p, err)
	}
	if rep.Version != reportVersion || rep.Host == "" {
		return rep, fmt.Errorf("report %s: version %d, host %q: not a berth report this berth understands", p, rep.Version, rep.Host)
	}
	return rep, nil
}

// report writes this reconcile's report to the state directory and hands
// it to the Reporter. Neither failure changes the reconcile's outcome.
func (r *Reconciler) report(w *run, rep Report) {
	p := ReportPath(filepath.Dir(r.Store.Path))
	hr := r.hostReport(w, rep, p)
	data, err := json.MarshalIndent(hr, "", "  ")
	if err == nil {
		err = atomicfile.WriteFile(p, append(data, '\n'), 0o600)
	}
	if err != nil {
		r.log().Error("cannot write the report", "path", p, "err", err)
	}
	if r.Reporter == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), reportTimeout)
	defer cancel()
	logPath := ""
	if w.att != nil {
		logPath = w.att.LogPath
	}
	if err := r.Reporter.Send(ctx, hr, logPath); err != nil {
		r.log().Warn("cannot send the report", "err", err)
	}
}

// hostReport builds the report; without an attempt of its own it carries
// the previous report's attempt forward.
func (r *Reconciler) hostReport(w *run, rep Report, prev string) HostReport {
	hr := HostReport{Version: reportVersion, Host: r.Host, AgentVersion: AgentVersion(), Build: build(), At: r.now(),
		Result: rep.Result, Reason: rep.Reason, Seen: w.st.LastSeen, LastPoll: w.st.LastPoll, SeenSince: w.st.SeenSince, MadeAt: w.st.MadeAt,
		Applied: w.st.Applied, Rejected: w.st.Rejected, FetchFailures: w.st.FetchFailures, Drift: w.st.Drift, RolledBack: w.st.RolledBack, PendingBoot: w.st.PendingBoot}
	if rep.Err != nil {
		hr.Error = firstLine(rep.Err.Error())
	}
	if w.att != nil {
		a := *w.att
		hr.Attempt = &a
	} else if old, err := ReadReport(prev); err == nil {
		hr.Attempt = old.Attempt
	} else if !errors.Is(err, fs.ErrNotExist) {
		r.log().Warn("previous report unreadable; replacing it", "err", err)
	}
	if hr.Attempt != nil {
		hr.Attempt.LogPath = ""
	}
	return hr
}

// Freshness judges the source as the host last saw it, at now under
// maxAge, as State.Freshness does on the host itself.
func (h HostReport) Freshness(now time.Time, maxAge time.Duration) Freshness {
	st := State{LastPoll: h.LastPoll, LastSeen: h.Seen, SeenSince: h.SeenSince, MadeAt: h.MadeAt, Applied: h.Applied, FetchFailures: h.FetchFailures}
	if h.Attempt != nil || h.Result != "" {
		st.Last = &Summary{Result: h.Result}
	}
	return st.Freshness(now, maxAge)
}

// AgentVersion is the berth module's version and VCS revision, as built
// (buildinfo.Info.String).
func AgentVersion() string { return buildinfo.Read().String() }

func build() *buildinfo.Info {
	b := buildinfo.Read()
	return &b
}
