package main

import (
	"fmt"
	"io"

	"github.com/berth-nix/berth/reconciler"
)

// writeDiffs prints, for each attempt that recorded one, what its system
// changed compared with the system that was running before it.
func writeDiffs(w io.Writer, atts []reconciler.Attempt) {
	for _, a := range atts {
		if a.Diff == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s: %s\n", a.ID, a.Diff.Summary())
		fmt.Fprintf(w, "  %s\n  → %s\n", a.Diff.Before, a.Diff.After)
		for _, p := range a.Diff.Packages {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
}
