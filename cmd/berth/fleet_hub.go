package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berth-nix/berth/fleet"
	"github.com/berth-nix/berth/hub"
)

// runFleetStatusHub prints the fleet as a berth hub judges it.
func runFleetStatusHub(ctx context.Context, out io.Writer, o fleetOptions) error {
	var res struct {
		Hosts []hub.HostView `json:"hosts"`
	}
	if err := o.Hub.call(ctx, "GET", "/v1/hosts", nil, &res); err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(out, res)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "HOST\tSTATE\tWANTED\tAPPLIED\tAGE\tCONNECTED\tERROR")
	for _, h := range res.Hosts {
		age := "-"
		if !h.LastSeen.IsZero() {
			age = (time.Duration(h.AgeSeconds) * time.Second).String()
		}
		errText := fleet.Summary(h.Error)
		if h.Phase != "" {
			errText = strings.TrimSpace(h.Phase + " " + strings.Join(h.FailedUnits, ",") + " " + errText)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%v\t%s\n", h.Name, h.State, orDash(short12(h.Wanted)), orDash(short12(h.Applied)), age, h.Connected, errText)
	}
	return w.Flush()
}

func short12(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
