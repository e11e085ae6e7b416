package reconciler

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-nix/berth/rollout"
	"github.com/berth-nix/berth/source"
)

// DelayGate is the rollout gate of a fleet without a hub: a revision
// waits until its commit is older than the longest delay of the groups
// of the repository's rollout.yaml that select this host. A revision
// with no policy passes at once; one whose policy does not parse waits,
// saying where the policy is wrong.
type DelayGate struct {
	Host string
	Now  func() time.Time
}

var _ Gate = DelayGate{}

func (g DelayGate) Admit(_ context.Context, art source.Artifact) (bool, string, error) {
	if art.Policy == nil {
		return true, "", nil
	}
	p, err := rollout.Parse(rollout.FileName, art.Policy)
	if err != nil {
		return false, err.Error(), nil
	}
	delay := p.Delay(g.Host)
	if delay == 0 {
		return true, "", nil
	}
	ready := art.LastUpdateTime.Add(delay)
	if now := g.now(); now.Before(ready) {
		return false, fmt.Sprintf("delay %s: the commit of %s is applied from %s", delay, art.LastUpdateTime.UTC().Format(time.RFC3339), ready.UTC().Format(time.RFC3339)), nil
	}
	return true, "", nil
}

func (g DelayGate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}
