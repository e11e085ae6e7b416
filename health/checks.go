package health

import (
	"context"
	"net"
	"time"
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
