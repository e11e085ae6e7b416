package webhook

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testLimits are DefaultLimits scaled down so that a test can wait them
// out.
var testLimits = Limits{MaxConns: 4, HeaderTimeout: 300 * time.Millisecond, BodyTimeout: 600 * time.Millisecond,
	IdleTimeout: time.Second, MaxHeaderBytes: 8 << 10}

// serveLoopback serves h on a loopback port as the agent does, counting
// the requests being handled at once (peak).
func serveLoopback(t *testing.T, h http.Handler, lim Limits) (addr string, peak *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var now atomic.Int32
	peak = &atomic.Int32{}
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		h.ServeHTTP(w, r)
	})
	srv, l := NewServer(l, counted, lim)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String(), peak
}

// stall opens a connection, sends head and part of a body, and keeps it
// open without sending the rest.
func stall(t *testing.T, addr, head string, part int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, head+strings.Repeat("x", part)); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStalledClientsAreBounded: 40 clients that send a signature header
// and part of a large body, then stall, are served at most MaxConns at a
// time, each cut off after BodyTimeout; all are gone in bounded time and
// a real delivery then goes through.
func TestStalledClientsAreBounded(t *testing.T) {
	h, trig := newHandler(0)
	h.MaxBody = 256 << 10
	addr, peak := serveLoopback(t, h, testLimits)
	head := "POST /webhook HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: 200000\r\n\r\n"
	const clients = 40
	conns := make([]net.Conn, clients)
	for i := range conns {
		conns[i] = stall(t, addr, head, 100000)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			io.Copy(io.Discard, c) // returns when the server closes
		}()
	}
	wg.Wait()
	took := time.Since(start)
	// 40 clients, 4 at a time, each cut off after 600ms: about 6s.
	if max := time.Duration(clients/testLimits.MaxConns+2) * testLimits.BodyTimeout * 2; took > max {
		t.Errorf("stalled clients held the listener for %s, want under %s", took, max)
	}
	if p := peak.Load(); p > int32(testLimits.MaxConns) || p == 0 {
		t.Errorf("served %d stalled requests at once, want 1 to %d", p, testLimits.MaxConns)
	}
	body := []byte(`{"ref":"refs/heads/main"}`)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhook", bytes.NewReader(body))
	req.Header = github(body, "push")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || trig.count() != 1 {
		t.Errorf("after the stall: got %s and %d triggers, want 202 and 1", resp.Status, trig.count())
	}
}

// TestStalledHeadersAreCutOff: a client that never finishes its headers
// is disconnected after HeaderTimeout.
func TestStalledHeadersAreCutOff(t *testing.T) {
	h, _ := newHandler(0)
	addr, _ := serveLoopback(t, h, testLimits)
	c := stall(t, addr, "POST /webhook HTTP/1.1\r\nHost: x\r\n", 0)
	defer c.Close()
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, c)
	if took := time.Since(start); took > 3*testLimits.HeaderTimeout {
		t.Errorf("a client stalled in its headers was kept %s, want about %s", took, testLimits.HeaderTimeout)
	}
}

// TestUnsignedRequestIsRefusedBeforeItsBody: a request with no signature
// header, or a wrong GitLab token, is answered 401 at once although its
// declared body never comes; so is a declared body over max_body (413).
func TestUnsignedRequestIsRefusedBeforeItsBody(t *testing.T) {
	h, _ := newHandler(0)
	addr, _ := serveLoopback(t, h, DefaultLimits)
	tests := []struct {
		name, headers string
		want          int
	}{
		{"no signature", "", http.StatusUnauthorized},
		{"wrong gitlab token", "X-Gitlab-Token: guess\r\n", http.StatusUnauthorized},
		{"declared too big", "X-Hub-Signature-256: sha256=00\r\n", http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		head := fmt.Sprintf("POST /webhook HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n", tt.headers, h.MaxBody+1)
		c := stall(t, addr, head, 10)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil || resp.StatusCode != tt.want {
			t.Errorf("%s: got %v (%v) before the body was sent, want %d", tt.name, resp, err, tt.want)
		}
	}
}

// TestRefusalsAreLoggedSparingly: a flood of forged requests leaves one
// log line per interval, with the count of those left out.
func TestRefusalsAreLoggedSparingly(t *testing.T) {
	var logs bytes.Buffer
	h, _ := newHandler(0)
	h.Log = slog.New(slog.NewTextHandler(&logs, nil))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h.Now = func() time.Time { return now }
	for range 100 {
		post(h, []byte("{}"), hdr("X-Hub-Signature-256", "sha256=00"))
	}
	now = now.Add(refusalLogEvery)
	post(h, []byte("{}"), hdr("X-Hub-Signature-256", "sha256=00"))
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "refusals_not_logged=99") {
		t.Errorf("got %d log lines:\n%s\nwant 2, the second counting 99 left out", len(lines), logs.String())
	}
}
