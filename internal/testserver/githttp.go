package testserver

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/http/cgi"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// GitHTTP serves one Repo over git's smart HTTP protocol with
// `git http-backend` run as a CGI program, behind a token check.
//
// A request is let in when it carries the token as the password of HTTP
// basic auth (any user name) or as "Authorization: Bearer <token>"; others
// get 401 with a Basic challenge. An empty token lets everything in.
type GitHTTP struct {
	t       testing.TB
	repo    *Repo
	backend http.Handler
	meter

	conns atomic.Int64 // TCP connections accepted

	mu     sync.Mutex
	token  string
	status int // answered to every request when non-zero
	v0     bool
	addr   string
	srv    *http.Server
}

// StartGitHTTP serves repo on 127.0.0.1 until the test ends.
func StartGitHTTP(t testing.TB, repo *Repo, token string) *GitHTTP {
	t.Helper()
	execPath, err := Git(repo.bare, "--exec-path")
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	g := &GitHTTP{t: t, repo: repo, token: token}
	g.backend = &cgi.Handler{
		Path: filepath.Join(execPath, "git-http-backend"),
		Env: []string{
			"GIT_PROJECT_ROOT=" + filepath.Dir(repo.bare),
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	g.addr = ln.Addr().String()
	g.serve(ln)
	t.Cleanup(func() { g.SetDown(true) })
	return g
}

// URL is the repository's clone URL, without credentials.
func (g *GitHTTP) URL() string {
	return "http://" + g.addr + "/" + filepath.Base(g.repo.bare)
}

// AuthURL is URL with user "git" and the current token as password.
func (g *GitHTTP) AuthURL() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return "http://git:" + g.token + "@" + g.addr + "/" + filepath.Base(g.repo.bare)
}

// Conns is how many TCP connections the server has accepted.
func (g *GitHTTP) Conns() int64 { return g.conns.Load() }

// Addr is the server's host:port.
func (g *GitHTTP) Addr() string { return g.addr }

// SetToken replaces the accepted token; the old one stops working at once.
func (g *GitHTTP) SetToken(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.token = token
}

// SetStatus makes the server answer every request with code (for example
// 503) without running git; 0 restores normal service.
func (g *GitHTTP) SetStatus(code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.status = code
}

// SetProtocolV0(true) makes the server ignore the client's request for
// protocol version 2 (the Git-Protocol header), as servers older than git
// 2.18 do; false restores it.
func (g *GitHTTP) SetProtocolV0(v0 bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.v0 = v0
}

// SetDown(true) makes the remote unreachable: the listener and every open
// connection are closed, so clients get "connection refused".
// SetDown(false) listens again on the same address.
func (g *GitHTTP) SetDown(down bool) {
	g.t.Helper()
	g.mu.Lock()
	srv := g.srv
	g.srv = nil
	g.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	if down {
		return
	}
	ln, err := net.Listen("tcp", g.addr)
	if err != nil {
		g.t.Fatalf("testserver: listen again on %s: %v", g.addr, err)
	}
	g.serve(ln)
}

func (g *GitHTTP) serve(ln net.Listener) {
	srv := &http.Server{Handler: g.meter.wrap(http.HandlerFunc(g.handle)), ConnState: func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			g.conns.Add(1)
		}
	}}
	g.mu.Lock()
	g.srv = srv
	g.mu.Unlock()
	go srv.Serve(ln)
}

func (g *GitHTTP) handle(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	token, status, v0 := g.token, g.status, g.v0
	g.mu.Unlock()
	if v0 {
		r.Header.Del("Git-Protocol")
	}
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	if !authorized(r, token) {
		w.Header().Set("WWW-Authenticate", `Basic realm="berth test"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	g.backend.ServeHTTP(w, r)
}

func authorized(r *http.Request, token string) bool {
	if token == "" {
		return true
	}
	if _, pass, ok := r.BasicAuth(); ok {
		return equal(pass, token)
	}
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && equal(bearer, token)
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
