package main

import (
	"fmt"
	"io"

	"github.com/berth-nix/berth/internal/control"
	"github.com/berth-nix/berth/reconciler"
)

// statusJSON is berth status --json: the agent's status and whether the
// source is stale under trust.max_age, judged by the reader's clock.
type statusJSON struct {
	control.Status
	Freshness reconciler.Freshness `json:"freshness"`
	Reboot    *rebootInfo          `json:"reboot,omitempty"`
}

// printFreshness adds a line when the source is stale: a frozen or broken
// server must be visible at a glance.
func printFreshness(out io.Writer, f reconciler.Freshness) {
	if f.Stale {
		fmt.Fprintf(out, "source stale  %s\n", f.Reason)
	}
}
