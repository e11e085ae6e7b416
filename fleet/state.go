package fleet

import (
	"time"

	"github.com/berth-nix/berth/report"
)

// States of a host in `berth fleet status`.
const (
	fleetUpToDate = "up-to-date" // applied what the fleet repository wants
	fleetPending  = "pending"    // has not applied it yet, and has not failed on it
	fleetFailed   = "failed"     // its last attempt or poll failed
	fleetReverted = "reverted"   // tried the configuration and went back
	fleetStale    = "stale"      // no report for longer than --stale-after
	fleetNoReport = "no-report"  // in the repository, but no report found
)

// hostState judges one host from its report (nil when none was found)
// and the digest the fleet repository wants for it ("" when unknown).
// It returns the state and a one-line error summary.
func hostState(rep *report.HostReport, wanted string, now time.Time, staleAfter time.Duration) (string, string) {
	switch {
	case rep == nil:
		return fleetNoReport, ""
	case now.Sub(rep.At) > staleAfter:
		return fleetStale, "last report " + rep.At.UTC().Format(time.RFC3339)
	case wanted != "":
		return againstWanted(rep, wanted)
	}
	return fromReport(rep)
}

// againstWanted compares the report with the wanted digest.
func againstWanted(rep *report.HostReport, wanted string) (string, string) {
	if rep.Applied != nil && rep.Applied.Digest == wanted {
		return fleetUpToDate, ""
	}
	if a := rep.Attempt; a != nil && a.Digest == wanted {
		if s := attemptState(a.Result); s != "" {
			return s, Summary(a.Error)
		}
	}
	if rj := rep.Rejected; rj != nil && rj.Digest == wanted {
		return fleetFailed, Summary(rj.Reason)
	}
	if rep.Result == report.ResultFailed {
		return fleetPending, Summary(rep.Error)
	}
	return fleetPending, ""
}

// fromReport judges a host by its report alone, when the wanted
// configuration is not known.
func fromReport(rep *report.HostReport) (string, string) {
	if rj := rep.Rejected; rj != nil {
		if a := rep.Attempt; a != nil && a.Digest == rj.Digest && attemptState(a.Result) != "" {
			return attemptState(a.Result), Summary(a.Error)
		}
		return fleetFailed, Summary(rj.Reason)
	}
	if rep.Result == report.ResultFailed {
		return fleetFailed, Summary(rep.Error)
	}
	if rep.Applied != nil {
		return fleetUpToDate, ""
	}
	return fleetPending, ""
}

// attemptState maps an attempt's result to a fleet state; "" when the
// attempt did not end in a failure.
func attemptState(result string) string {
	switch result {
	case report.ResultReverted:
		return fleetReverted
	case report.ResultFailed, report.ResultRefused:
		return fleetFailed
	}
	return ""
}

// Summary is the first line of an error, at most 120 bytes.
func Summary(s string) string {
	for i, c := range s {
		if c == '\n' {
			s = s[:i]
			break
		}
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
