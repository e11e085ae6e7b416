package health

import (
	"context"
	"fmt"
	"net"
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
