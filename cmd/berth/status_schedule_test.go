package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/reconciler/control"
)

// TestStatusNextPoll: berth status never shows a next poll in the past:
// while a reconcile runs the next poll is not chosen yet, and a due time
// that passed is due now.
func TestStatusNextPoll(t *testing.T) {
	tests := []struct {
		name string
		s    control.Status
		want string
	}{
		{"scheduled", control.Status{Agent: true, NextPoll: time.Now().Add(time.Hour + 10*time.Second)}, "(in 1h0m"},
		{"passed", control.Status{Agent: true, NextPoll: time.Now().Add(-time.Second)}, "next poll\tdue now"},
		{"reconciling", control.Status{Agent: true, NextPoll: time.Now().Add(-time.Minute), Reconciling: true}, "chosen when the reconcile running now ends"},
		{"no agent", control.Status{}, "not answering"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		printSchedule(&out, tt.s)
		if got := out.String(); !strings.Contains(got, tt.want) || strings.Contains(got, "in -") {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
