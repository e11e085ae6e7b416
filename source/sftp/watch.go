package sftpsource

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// watchedConn is a connection with a watchdog: while armed (a request is
// waiting for the server), every byte received restarts a timer, and the
// connection is closed when the timer runs out. Disarmed, the connection
// may stay silent for any time, so local work between requests (hashing,
// copying from the cache) never counts as the server's silence.
type watchedConn struct {
	net.Conn
	d time.Duration

	mu    sync.Mutex
	armed int
	timer *time.Timer
	fired atomic.Bool
}

func watch(c net.Conn, d time.Duration) *watchedConn {
	w := &watchedConn{Conn: c, d: d}
	w.timer = time.AfterFunc(d, w.fire)
	w.timer.Stop()
	return w
}

// arm starts (or, nested, keeps) watching.
func (w *watchedConn) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed++
	w.timer.Reset(w.d)
}

// disarm ends one arm.
func (w *watchedConn) disarm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed--; w.armed == 0 {
		w.timer.Stop()
	}
}

func (w *watchedConn) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	if n > 0 {
		w.mu.Lock()
		if w.armed > 0 {
			w.timer.Reset(w.d)
		}
		w.mu.Unlock()
	}
	return n, err
}

func (w *watchedConn) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed == 0 {
		return
	}
	w.fired.Store(true)
	w.Conn.Close()
}

// stalled reports whether the watchdog closed the connection.
func (w *watchedConn) stalled() bool { return w != nil && w.fired.Load() }
