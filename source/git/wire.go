package gitsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"golang.org/x/crypto/ssh"
)

// wireConn is one conversation with git-upload-pack, in whichever protocol
// version the server chooses: berth asks for version 2 and reads version 0
// when that is what comes back. go-git speaks only version 0, whose
// reference advertisement lists every branch and tag of the remote; the
// version 2 commands ls-refs and fetch let the poll and the fetch name the
// one branch berth follows.
type wireConn interface {
	// advert returns the server's first message: a version 2 capability
	// advertisement or a version 0 reference advertisement.
	advert() (*pktReader, error)
	// command sends one version 2 request and returns its response.
	command(req []byte) (*pktReader, error)
	// wireBytes is how many bytes of git protocol crossed the connection
	// (both directions, below TLS or SSH framing).
	wireBytes() int64
	Close() error
}

// dialWire opens a conversation for an HTTP(S) or SSH remote.
func (s *Source) dialWire(ctx context.Context) (wireConn, error) {
	auth, err := s.auth()
	if err != nil {
		return nil, err
	}
	ep, err := transport.NewEndpoint(s.cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("git source: %w", err)
	}
	switch a := auth.(type) {
	case *sshKeyAuth:
		return s.dialSSH(ctx, ep, a)
	case *githttp.BasicAuth:
		return &httpWire{ctx: ctx, base: ep.String(), user: a.Username, pass: a.Password}, nil
	}
	return &httpWire{ctx: ctx, base: ep.String()}, nil
}

// httpWire speaks git's smart HTTP protocol: the advertisement is a GET of
// info/refs, each version 2 command a stateless POST.
type httpWire struct {
	ctx        context.Context
	base       string
	user, pass string
	n          int64
	body       io.Closer
}

// httpClient keeps a connection open only briefly: long enough for the
// fetch that follows a poll, not across polls a minute apart, which would
// hold a connection on the server per idle host.
var httpClient = &http.Client{Transport: func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.IdleConnTimeout = 10 * time.Second
	return t
}()}

// CloseIdleConnections closes HTTP connections kept for reuse, as if the
// last poll were more than their idle timeout ago.
func CloseIdleConnections() { httpClient.CloseIdleConnections() }

func (w *httpWire) advert() (*pktReader, error) {
	p, err := w.do(http.MethodGet, w.base+"/info/refs?service=git-upload-pack", nil)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (w *httpWire) command(req []byte) (*pktReader, error) {
	w.n += int64(len(req))
	return w.do(http.MethodPost, w.base+"/git-upload-pack", req)
}

func (w *httpWire) do(method, u string, body []byte) (*pktReader, error) {
	w.Close()
	req, err := http.NewRequestWithContext(w.ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Git-Protocol", "version=2")
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
		req.Header.Set("Accept", "application/x-git-upload-pack-result")
	}
	if w.user != "" || w.pass != "" {
		req.SetBasicAuth(w.user, w.pass)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	if err := httpStatusErr(res); err != nil {
		res.Body.Close()
		return nil, err
	}
	if method == http.MethodGet {
		// Follow a redirect for the commands too, as git does.
		w.base = strings.TrimSuffix(res.Request.URL.String(), "/info/refs?"+res.Request.URL.RawQuery)
	}
	w.body = res.Body
	p := newPktReader(res.Body)
	p.count = &w.n
	return p, nil
}

// httpStatusErr maps an HTTP failure to go-git's transport errors, which
// netErr explains.
func httpStatusErr(res *http.Response) error {
	switch {
	case res.StatusCode == http.StatusOK:
		return nil
	case res.StatusCode == http.StatusUnauthorized:
		return transport.ErrAuthenticationRequired
	case res.StatusCode == http.StatusForbidden:
		return transport.ErrAuthorizationFailed
	case res.StatusCode == http.StatusNotFound:
		return transport.ErrRepositoryNotFound
	}
	return fmt.Errorf("%w %s", errHTTPStatus, res.Status)
}

var errHTTPStatus = errors.New("unexpected HTTP status")

func (w *httpWire) wireBytes() int64 { return w.n }

func (w *httpWire) Close() error {
	if w.body == nil {
		return nil
	}
	err := w.body.Close()
	w.body = nil
	return err
}

// sshWire runs git-upload-pack over one SSH session; the advertisement
// and every command share its standard input and output.
type sshWire struct {
	client *ssh.Client
	sess   *ssh.Session
	in     io.WriteCloser
	out    *pktReader
	n      int64
	stop   func() bool
}

// dialSSH connects with the deploy key and the pinned host key (the same
// checks as go-git's transport, see sshKeyAuth) and starts
// git-upload-pack with GIT_PROTOCOL=version=2. An sshd that does not
// accept that variable (AcceptEnv) refuses it; the server then speaks
// version 0.
func (s *Source) dialSSH(ctx context.Context, ep *transport.Endpoint, a *sshKeyAuth) (wireConn, error) {
	cfg, err := a.ClientConfig()
	if err != nil {
		return nil, err
	}
	conn, err := deadlineDialer{timeout: s.cfg.Timeout}.DialContext(ctx, "tcp", a.addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, a.addr, cfg)
	if err != nil {
		stop()
		conn.Close()
		return nil, err
	}
	w := &sshWire{client: ssh.NewClient(c, chans, reqs), stop: stop}
	if err := w.start(ep.Path); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func (w *sshWire) start(path string) error {
	sess, err := w.client.NewSession()
	if err != nil {
		return err
	}
	w.sess = sess
	_ = sess.Setenv("GIT_PROTOCOL", "version=2") // refused: version 0
	if w.in, err = sess.StdinPipe(); err != nil {
		return err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		return err
	}
	w.out = newPktReader(out)
	w.out.count = &w.n
	return sess.Start("git-upload-pack " + shellQuote(path))
}

// shellQuote quotes s for the remote shell (or git-shell) that runs the
// command.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (w *sshWire) advert() (*pktReader, error) { return w.out, nil }

func (w *sshWire) command(req []byte) (*pktReader, error) {
	w.n += int64(len(req))
	if _, err := w.in.Write(req); err != nil {
		return nil, err
	}
	return w.out, nil
}

func (w *sshWire) wireBytes() int64 { return w.n }

// Close ends the conversation with a flush (git-upload-pack's "no more
// requests") and closes the connection.
func (w *sshWire) Close() error {
	if w.in != nil {
		io.WriteString(w.in, pktFlush)
		w.in.Close()
	}
	if w.sess != nil {
		w.sess.Close()
	}
	w.stop()
	return w.client.Close()
}
