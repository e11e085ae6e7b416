// Package wire is what berth agents and the hub exchange over HTTP: the
// report an agent posts and the events the hub streams to it. Both sides
// import it; it imports neither.
package wire

import "github.com/berth-nix/berth/report"

// Report is the report an agent posts after every reconcile: the format
// of package report, which the agent writes and the admin side reads.
type Report = report.HostReport

// Revision is a configuration a host ran or tried.
type Revision = report.Revision

// Rejection is a configuration judged bad, and why.
type Rejection = report.Rejection

// Attempt is one try at applying a configuration.
type Attempt = report.Attempt

// ReportVersion is the report version the hub understands.
const ReportVersion = report.Version

// Results of a reconcile or an attempt the hub tells apart.
const (
	ResultApplied  = report.ResultApplied
	ResultReverted = report.ResultReverted
	ResultFailed   = report.ResultFailed
	ResultRefused  = report.ResultRefused
)
