package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/berth-nix/berth/reconciler"
)

// ErrUnreachable wraps every failure to reach the agent at all (no socket,
// nobody listening, no permission on the file): read commands then fall
// back to the state files.
var ErrUnreachable = errors.New("berth agent unreachable")

// Client talks to the agent over its control socket.
type Client struct {
	Path string
	hc   *http.Client
}

// NewClient returns a client for the socket at path.
func NewClient(path string) *Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
	return &Client{Path: path, hc: &http.Client{Transport: tr}}
}

// Status asks the agent for its status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	return st, c.do(ctx, http.MethodGet, "/v1/status", nil, &st)
}

// History asks for up to limit attempts, newest first.
func (c *Client) History(ctx context.Context, limit int) ([]reconciler.Attempt, error) {
	var atts []reconciler.Attempt
	return atts, c.do(ctx, http.MethodGet, "/v1/history", url.Values{"limit": {strconv.Itoa(limit)}}, &atts)
}

// Trigger queues a reconcile.
func (c *Client) Trigger(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/trigger", nil, nil)
}

// Pause holds reconciles for d, or until resumed when d is 0.
func (c *Client) Pause(ctx context.Context, d time.Duration) (reconciler.Pause, error) {
	var p reconciler.Pause
	q := url.Values{}
	if d > 0 {
		q.Set("for", d.String())
	}
	return p, c.do(ctx, http.MethodPost, "/v1/pause", q, &p)
}

// Postpone asks the agent to hold the pending update for d (0: as long
// as the host allows); members of the control group may.
func (c *Client) Postpone(ctx context.Context, d time.Duration) (reconciler.Pause, error) {
	var p reconciler.Pause
	q := url.Values{}
	if d > 0 {
		q.Set("for", d.String())
	}
	return p, c.do(ctx, http.MethodPost, "/v1/postpone", q, &p)
}

// Resume ends a pause.
func (c *Client) Resume(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/resume", nil, nil)
}

// Run has the agent reconcile now and waits for its report.
func (c *Client) Run(ctx context.Context, retry bool) (RunReport, error) {
	var rep RunReport
	q := url.Values{}
	if retry {
		q.Set("retry", "1")
	}
	return rep, c.do(ctx, http.MethodPost, "/v1/run", q, &rep)
}

// APIError is a refusal or failure the agent answered with.
type APIError struct {
	Code int
	Msg  string
}

func (e *APIError) Error() string { return fmt.Sprintf("agent: %s (HTTP %d)", e.Msg, e.Code) }

func (c *Client) do(ctx context.Context, method, path string, q url.Values, out any) error {
	u := "http://berth" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%w on %s: %v", ErrUnreachable, c.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		json.Unmarshal(body, &e)
		return &APIError{Code: resp.StatusCode, Msg: e.Error}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}
