package main

import (
	"fmt"
	"io"

	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/control"
)

// statusJSON is berth status --json: the agent's status and whether the
// source is stale under trust.max_age, judged by the reader's clock.
type statusJSON struct {
	control.Status
	Freshness reconciler.Freshness `json:"freshness"`
	Reboot    *rebootInfo          `json:"reboot,omitempty"`
	// Report is the last report the agent wrote (what it sends upstream).
	Report *reconciler.HostReport `json:"report,omitempty"`
}

// printFreshness adds a line when the source is stale: a frozen or broken
// server must be visible at a glance.
func printFreshness(out io.Writer, f reconciler.Freshness) {
	if f.Stale {
		fmt.Fprintf(out, "source stale  %s\n", f.Reason)
	}
}

// lastReport reads the report the agent last wrote; nil when there is none
// or it cannot be read (status must still answer).
func lastReport(stateDir string) *reconciler.HostReport {
	rep, err := reconciler.ReadReport(reconciler.ReportPath(stateDir))
	if err != nil {
		return nil
	}
	return &rep
}
