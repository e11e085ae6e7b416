package reconciler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/source"
)

func TestDelayGate(t *testing.T) {
	policy := []byte("groups:\n  canary: {hosts: [c1]}\n  rest: {hosts: ['*'], delay: 2h}\nwaves:\n  - {name: canary, groups: [canary]}\n  - {name: rest, groups: [rest], after: [canary]}\n")
	commit := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, host string
		policy     []byte
		age        time.Duration
		ok         bool
		reason     string
	}{
		{"no policy", "h1", nil, 0, true, ""},
		{"no delay for its groups", "c9", []byte("groups:\n  g: {hosts: [c1]}\nwaves: [{name: w, groups: [g]}]\n"), 0, true, ""},
		{"too young", "h1", policy, time.Hour, false, "delay 2h0m0s: the commit of 2026-12-01T10:00:00Z is applied from 2026-12-01T12:00:00Z"},
		{"old enough", "h1", policy, 2 * time.Hour, true, ""},
		{"longest delay of its groups", "c1", policy, time.Hour, false, "delay 2h0m0s"},
		{"broken policy waits", "h1", []byte("waves: {}\n"), 10 * time.Hour, false, "rollout.yaml:1: waves: must be a list of waves"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := DelayGate{Host: tc.host, Now: func() time.Time { return commit.Add(tc.age) }}
			ok, why, err := g.Admit(context.Background(), source.Artifact{Policy: tc.policy, LastUpdateTime: commit})
			if ok != tc.ok || err != nil || !strings.Contains(why, tc.reason) {
				t.Fatalf("got %v %q %v, want %v %q", ok, why, err, tc.ok, tc.reason)
			}
		})
	}
}
