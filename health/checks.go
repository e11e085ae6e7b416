package health

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// withTimeout bounds one attempt when timeout is positive.
func withTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout > 0 {
		return context.WithTimeout(ctx, timeout)
	}
	return context.WithCancel(ctx)
}

// Command passes when Argv exits with status 0 within Timeout.
type Command struct {
	CheckName string
	Argv      []string
	Timeout   time.Duration
}

func (c Command) Name() string { return c.CheckName }

// Run runs the command; a failure carries the end of its output.
func (c Command) Run(ctx context.Context) error {
	if len(c.Argv) == 0 {
		return fmt.Errorf("no command")
	}
	ctx, cancel := withTimeout(ctx, c.Timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", c.Argv[0], err, lastBytes(out, 500))
	}
	return nil
}

func lastBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}

// TCP passes when a TCP connection to Addr (host:port) opens within
// Timeout.
type TCP struct {
	CheckName string
	Addr      string
	Timeout   time.Duration
}

func (c TCP) Name() string { return c.CheckName }

func (c TCP) Run(ctx context.Context) error {
	ctx, cancel := withTimeout(ctx, c.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

// HTTP passes when a GET of URL answers with a status below 400 within
// Timeout. Redirects are followed.
type HTTP struct {
	CheckName string
	URL       string
	Timeout   time.Duration
}

func (c HTTP) Name() string { return c.CheckName }

func (c HTTP) Run(ctx context.Context) error {
	ctx, cancel := withTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("GET %s: %s", c.URL, resp.Status)
	}
	return nil
}

// UnitActive passes when systemd reports Unit as active.
type UnitActive struct {
	Conn *sd.Conn
	Unit string
}

func (c UnitActive) Name() string { return "unit " + c.Unit }

func (c UnitActive) Run(ctx context.Context) error {
	st, err := c.Conn.ListUnitsByNamesContext(ctx, []string{c.Unit})
	if err != nil {
		return err
	}
	if len(st) != 1 || st[0].ActiveState != "active" {
		return fmt.Errorf("%s is %s", c.Unit, unitState(st))
	}
	return nil
}

func unitState(st []sd.UnitStatus) string {
	if len(st) != 1 {
		return "unknown"
	}
	return fmt.Sprintf("%s (%s, %s)", st[0].ActiveState, st[0].SubState, st[0].LoadState)
}

// NoNewFailures passes when no unit has failed that had not already
// failed in Baseline, apart from those Ignore excludes.
type NoNewFailures struct {
	Conn     *sd.Conn
	Baseline []string
	Ignore   func(unit string) bool
}

func (NoNewFailures) Name() string { return "no new failed units" }

func (c NoNewFailures) Run(ctx context.Context) error {
	now, err := FailedUnits(ctx, c.Conn)
	if err != nil {
		return err
	}
	if added := NewFailures(c.Baseline, now, c.Ignore); len(added) > 0 {
		return fmt.Errorf("failed units: %s", strings.Join(added, ", "))
	}
	return nil
}
