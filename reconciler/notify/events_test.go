package notify

import (
	"errors"
	"reflect"
	"testing"

	"github.com/berth-nix/berth/reconciler"
)

func TestForReport(t *testing.T) {
	applied := &reconciler.Attempt{Revision: "main@sha1:abc", Result: "applied"}
	kernel := &reconciler.Attempt{Revision: "main@sha1:def", Result: "applied", Reboot: true, RebootWhy: []string{"kernel", "initrd"}}
	units := &reconciler.Attempt{Revision: "main@sha1:bad", Result: "reverted", Phase: "verify", FailedUnits: []string{"web.service"}, Error: "units failed"}
	health := &reconciler.Attempt{Revision: "main@sha1:bad", Result: "reverted", Phase: "verify", Error: "check http: 503\nmore"}
	tests := []struct {
		name string
		rep  reconciler.Report
		want []string // summary: body
	}{
		{"unchanged", reconciler.Report{Result: reconciler.ResultUnchanged}, nil},
		{"fetch failed", reconciler.Report{Result: reconciler.ResultFailed, Err: errors.New("network")}, nil},
		{"applied", reconciler.Report{Result: reconciler.ResultApplied, Attempt: applied},
			[]string{"Configuration updated: This computer now runs main@sha1:abc."}},
		{"applied, new kernel", reconciler.Report{Result: reconciler.ResultApplied, Attempt: kernel},
			[]string{"Configuration updated: This computer now runs main@sha1:def.",
				"Restart needed: The update changed the kernel, initrd; restart this computer to use them."}},
		{"reverted, units", reconciler.Report{Result: reconciler.ResultReverted, Attempt: units},
			[]string{"Update failed and was reverted: main@sha1:bad was not kept: failed units: web.service. The previous configuration runs again."}},
		{"reverted, check", reconciler.Report{Result: reconciler.ResultReverted, Attempt: health},
			[]string{"Update failed and was reverted: main@sha1:bad was not kept: check http: 503. The previous configuration runs again."}},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range ForReport(tt.rep) {
			got = append(got, m.Summary+": "+m.Body)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.name, got, tt.want)
		}
	}
}
