package reconciler

import (
	"context"
	"testing"
)

// TestDriftPolicies: once the running system differs from the applied
// one, report records it and applies nothing, reapply applies the same
// configuration again, hold stops before polling; the drift clears when
// the applied system runs again.
func TestDriftPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy  string
		applies int
		polls   int
		result  string
	}{
		{DriftReport, 1, 2, ResultUnchanged},
		{DriftReapply, 2, 2, ResultApplied},
		{DriftHold, 1, 1, ResultUnchanged},
	} {
		src := &fakeSource{art: art("c1", "sha256:d1")}
		app := &fakeApplier{res: applied}
		r := newRec(t, src, app)
		running := applied.Toplevel
		r.Running = func() (string, error) { return running, nil }
		r.DriftPolicy = tc.policy
		ctx := context.Background()
		r.Run(ctx, Options{})
		running = "/nix/store/zzz-manual"
		rep := r.Run(ctx, Options{})
		st, _ := r.Store.Load()
		if rep.Result != tc.result || app.applies != tc.applies || src.polls != tc.polls {
			t.Errorf("%s: got %q, %d applies, %d polls; want %q, %d, %d", tc.policy, rep.Result, app.applies, src.polls, tc.result, tc.applies, tc.polls)
		}
		if tc.policy == DriftReapply {
			if st.Drift != nil {
				t.Errorf("reapply: drift %+v still recorded after the applied system was applied again", st.Drift)
			}
		} else if d := st.Drift; d == nil || d.Running != running || d.Applied != applied.Toplevel {
			t.Errorf("%s: state drift %+v, want running %s, applied %s", tc.policy, d, running, applied.Toplevel)
		}
		if tc.policy == DriftHold && st.Settled != "main@sha1:c1" {
			t.Errorf("hold: settled became %q", st.Settled)
		}
		running = applied.Toplevel
		r.Run(ctx, Options{})
		if st, _ := r.Store.Load(); st.Drift != nil {
			t.Errorf("%s: drift %+v still recorded with the applied system running", tc.policy, st.Drift)
		}
	}
}
