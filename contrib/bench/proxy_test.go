package bench

import (
	"io"
	"net"
	"sync"
	"testing"
)

// proxy is a loopback TCP relay in front of a server that counts what
// passes: bytes each way, connections, and turns (the client speaking
// again after the server answered), which is how many round trips the
// protocol needed. Clients under test connect to it instead of the
// server.
type proxy struct {
	ln     net.Listener
	target string

	mu         sync.Mutex
	up, down   int64
	conns      int
	turns      int
	lastWasSrv map[net.Conn]bool
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err, "proxy listen")
	p := &proxy{ln: ln, target: target, lastWasSrv: map[net.Conn]bool{}}
	go p.accept()
	t.Cleanup(func() { ln.Close() })
	return p
}

// Addr is the proxy's host:port.
func (p *proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's port.
func (p *proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// take returns the counts since the last take and resets them.
func (p *proxy) take() sample {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := sample{Up: p.up, Down: p.down, Conns: p.conns, Turns: p.turns}
	p.up, p.down, p.conns, p.turns = 0, 0, 0, 0
	return s
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.relay(c)
	}
}

func (p *proxy) relay(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	p.mu.Lock()
	p.conns++
	p.lastWasSrv[c] = true // the first client bytes start a turn
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go p.copy(s, c, c, false, done)
	go p.copy(c, s, c, true, done)
	<-done
	<-done
	p.mu.Lock()
	delete(p.lastWasSrv, c)
	p.mu.Unlock()
}

// copy relays src to dst, counting into the direction fromServer says.
func (p *proxy) copy(dst io.WriteCloser, src io.Reader, client net.Conn, fromServer bool, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.count(client, fromServer, n)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if tc, ok := dst.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			return
		}
	}
}

func (p *proxy) count(client net.Conn, fromServer bool, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fromServer {
		p.down += int64(n)
	} else {
		p.up += int64(n)
		if p.lastWasSrv[client] {
			p.turns++
		}
	}
	p.lastWasSrv[client] = fromServer
}
