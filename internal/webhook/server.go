package webhook

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// Limits bound what unauthenticated clients can hold on the webhook
// listener. A request is authenticated only once its body is read (the
// forges sign the body), so until then a client costs a connection, a
// goroutine and up to max_body bytes: the connection count and the
// timeouts bound the total, to about MaxConns × max_body, for at most
// BodyTimeout each.
type Limits struct {
	// MaxConns is how many connections are served at once; further ones
	// wait in the kernel's accept queue, costing the agent nothing.
	MaxConns int
	// HeaderTimeout bounds reading a request's headers.
	HeaderTimeout time.Duration
	// BodyTimeout bounds reading a whole request, headers and body.
	BodyTimeout time.Duration
	// IdleTimeout closes a kept-alive connection with no request.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps the request headers.
	MaxHeaderBytes int
}

// DefaultLimits are the agent's: a forge delivers a push notification of
// a few kilobytes in well under a second.
var DefaultLimits = Limits{MaxConns: 16, HeaderTimeout: 5 * time.Second, BodyTimeout: 10 * time.Second,
	IdleTimeout: 30 * time.Second, MaxHeaderBytes: 32 << 10}

// NewServer returns the HTTP server for h under lim, and the listener l
// wrapped so that at most lim.MaxConns connections are open at once.
func NewServer(l net.Listener, h http.Handler, lim Limits) (*http.Server, net.Listener) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: lim.HeaderTimeout, ReadTimeout: lim.BodyTimeout,
		WriteTimeout: lim.BodyTimeout, IdleTimeout: lim.IdleTimeout, MaxHeaderBytes: lim.MaxHeaderBytes}
	return srv, netutil.LimitListener(l, lim.MaxConns)
}

// refusalLogEvery is the most often a refused request is logged.
const refusalLogEvery = 10 * time.Second

// refusalLog logs refused requests at most once per refusalLogEvery,
// counting the ones it left out, so that a flood of forged requests cannot
// flood the journal.
type refusalLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether a refusal at now is logged and how many were
// left out since the last one logged.
func (l *refusalLog) allow(now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < refusalLogEvery {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	return true, n
}
