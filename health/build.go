package health

import (
	"context"
	"fmt"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// Env is what checks built from Specs need from the agent.
type Env struct {
	// Systemd answers unit checks.
	Systemd *sd.Conn
	// Reachability polls the agent's source with its own credentials and
	// returns nil when it answered.
	Reachability func(ctx context.Context) error
	// ResolverChanged, when set, tells whether name resolution may have
	// changed since before the switch; a reachability check waits out the
	// resolver's cache only when it may have. Unset means it may have.
	ResolverChanged func() bool
}

// Build makes the probe a normalized Spec describes.
func Build(s Spec, env Env) (Probe, error) {
	c, err := s.check(env)
	if err != nil {
		return Probe{}, fmt.Errorf("check %s: %w", s.Name, err)
	}
	return Probe{Check: c, Interval: s.Interval, Deadline: s.Deadline}, nil
}

func (s Spec) check(env Env) (Check, error) {
	switch s.Kind {
	case KindCommand:
		return Command{CheckName: s.Name, Argv: s.Command, User: s.User, Timeout: s.Timeout}, nil
	case KindHTTP:
		return HTTP{CheckName: s.Name, URL: s.URL, Status: s.Status, Body: s.Body, Insecure: s.Insecure, Timeout: s.Timeout}, nil
	case KindTCP:
		return TCP{CheckName: s.Name, Addr: s.Address, Timeout: s.Timeout}, nil
	case KindUnit:
		return UnitActive{CheckName: s.Name, Conn: env.Systemd, Unit: s.Unit}, nil
	case KindReachability:
		if env.Reachability == nil {
			return nil, fmt.Errorf("no source to reach")
		}
		c := Reachability{CheckName: s.Name, Poll: env.Reachability, Timeout: s.Timeout, NotBefore: time.Now()}
		if env.ResolverChanged == nil || env.ResolverChanged() {
			c.NotBefore = c.NotBefore.Add(ResolverCacheAge)
		}
		return c, nil
	}
	return nil, fmt.Errorf("unknown kind %q", s.Kind)
}

// Reachability passes when the agent can still reach its source: Poll
// asks the remote for its current revision with the agent's credentials.
// It matters after a switch: a configuration that broke networking, name
// resolution, the firewall or the credentials would otherwise become the
// boot default and cut the host off from every later fix.
//
// Its first poll waits until NotBefore: Go's resolver rereads /etc/hosts
// and /etc/resolv.conf at most every 5 s, so a poll right after a switch
// that changed them could still use names the new configuration removed.
// Build sets no wait when the resolver files are unchanged.
type Reachability struct {
	CheckName string
	Poll      func(ctx context.Context) error
	Timeout   time.Duration
	NotBefore time.Time
}

// ResolverCacheAge is how long after it is built a reachability check
// first polls: longer than Go's resolver keeps /etc/hosts and
// /etc/resolv.conf without looking at them again.
const ResolverCacheAge = 6 * time.Second

func (c Reachability) Name() string { return c.CheckName }

func (c Reachability) Run(ctx context.Context) error {
	if err := sleepUntil(ctx, c.NotBefore); err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, c.Timeout)
	defer cancel()
	if err := c.Poll(ctx); err != nil {
		return fmt.Errorf("source unreachable: %w", err)
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
