package reconciler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/berth-nix/berth/internal/buildinfo"
	"github.com/berth-nix/berth/report"
)

// ReportFile is the report's name in the state directory, and the name
// reporters give it where the admin collects reports.
const ReportFile = report.File

// reportVersion changes when the meaning of a HostReport changes.
const reportVersion = report.Version

// reportTimeout bounds one Reporter.Send.
const reportTimeout = 15 * time.Second

// HostReport is what a host tells its admin after every reconcile; its
// format is package report's.
type HostReport = report.HostReport

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
	// The agent may hold a report newer than the file (poll times only;
	// see save.go).
	data, err := readNewest(p)
	if err != nil {
		return HostReport{}, err
	}
	rep, err := report.Parse(data)
	if err != nil {
		return rep, fmt.Errorf("report %s: %w", p, err)
	}
	return rep, nil
}

// report writes this reconcile's report to the state directory and hands
// it to the Reporter. Neither failure changes the reconcile's outcome.
func (r *Reconciler) report(w *run, rep Report) {
	p := ReportPath(filepath.Dir(r.Store.Path))
	hr := r.hostReport(w, rep, p)
	data, err := indentJSON(hr)
	if err == nil {
		_, err = saveUnlessHeartbeat(p, data, reportHeartbeat)
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

// ReportFreshness judges the source as the host that wrote h last saw
// it, at now under maxAge, as State.Freshness does on the host itself.
func ReportFreshness(h HostReport, now time.Time, maxAge time.Duration) Freshness {
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
