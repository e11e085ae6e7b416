package gitsource

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/net/proxy"
)

// go-git's SSH transport bounds only the TCP connect by the client
// config's Timeout and honours the context only once the session runs: a
// server that accepts and then stays silent would hang the SSH handshake
// forever. SSH connections are therefore made through a "proxy" dialer
// that is no proxy at all: it dials directly and sets a deadline on the
// connection, bounding the handshake and the whole operation.

// deadlineScheme names the dialer in the proxy URL.
const deadlineScheme = "berth-deadline"

var registerDeadline sync.Once

// deadlineProxy returns proxy options that make SSH connections give up
// after timeout.
func deadlineProxy(timeout time.Duration) transport.ProxyOptions {
	registerDeadline.Do(func() { proxy.RegisterDialerType(deadlineScheme, newDeadlineDialer) })
	u := url.URL{Scheme: deadlineScheme, Host: "direct", RawQuery: url.Values{"timeout": {timeout.String()}}.Encode()}
	return transport.ProxyOptions{URL: u.String()}
}

type deadlineDialer struct{ timeout time.Duration }

func newDeadlineDialer(u *url.URL, _ proxy.Dialer) (proxy.Dialer, error) {
	d, err := time.ParseDuration(u.Query().Get("timeout"))
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("deadline dialer: bad timeout in %s", u)
	}
	return deadlineDialer{timeout: d}, nil
}

func (d deadlineDialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

// DialContext connects directly, with the connection's deadline set to
// the timeout from now.
func (d deadlineDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	conn, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if err := conn.SetDeadline(time.Now().Add(d.timeout)); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
