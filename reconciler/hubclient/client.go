// Package hubclient connects an agent to a berth hub, outward only: it
// posts every report to the hub and holds one long-lived event stream on
// which the hub asks the agent to poll now. When the hub is down the
// agent carries on with its schedule; the stream reconnects with capped,
// jittered exponential backoff.
//
// Before applying a revision the agent asks the hub whether its rollout
// wave may take it (Admit, docs/rollouts.md).
package hubclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/berth-nix/berth/hub/wire"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/source"
)

// Client is one agent's connection to its hub.
type Client struct {
	// URL is the hub's base URL.
	URL string
	// TokenFile holds the host's token, read for every request so that a
	// rotated token is picked up.
	TokenFile string
	// HTTP carries both reports and the stream; it must have no overall
	// timeout (the stream lasts). NewHTTPClient makes one.
	HTTP *http.Client
	// Trigger asks the agent to poll now.
	Trigger func(reason string)
	Log     *slog.Logger
	// Backoff bounds the reconnect delays; zero means the defaults.
	Backoff Backoff
}

var _ reconciler.Reporter = (*Client)(nil)

// NewHTTPClient makes the client for a hub: with cert and key it
// presents that client certificate; with ca it trusts only that CA.
func NewHTTPClient(cert, key, ca string) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("hub client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("hub CA: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("hub CA %s: no PEM certificate", ca)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{Transport: tr}, nil
}

// Send posts rep, with the tail of the attempt's log when there is one.
func (c *Client) Send(ctx context.Context, rep reconciler.HostReport, logPath string) error {
	raw, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	body, err := json.Marshal(wire.Upload{Report: raw, LogTail: logTail(logPath)})
	if err != nil {
		return err
	}
	req, err := c.request(ctx, http.MethodPost, wire.ReportsPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("hub: post the report: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("hub: post the report to %s: %s", c.URL, resp.Status)
	}
	return nil
}

// request builds a request to the hub with the host's token.
func (c *Client) request(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	token, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("hub token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	return req, nil
}

// logTail is the end of the log at p, at most wire.MaxLogTail bytes; ""
// when there is none.
func logTail(p string) string {
	if p == "" {
		return ""
	}
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > wire.MaxLogTail {
		f.Seek(fi.Size()-wire.MaxLogTail, io.SeekStart)
	}
	data, _ := io.ReadAll(io.LimitReader(f, wire.MaxLogTail))
	return string(data)
}

func (c *Client) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// Admit asks the hub whether this host's rollout wave may take the
// artifact now (reconciler.Gate). Any answer other than the hub's
// decision is an error: the reconciler then waits, up to hub.max_wait.
func (c *Client) Admit(ctx context.Context, art source.Artifact) (bool, string, error) {
	body, _ := json.Marshal(wire.GateRequest{Revision: art.Revision, Commit: art.Commit})
	ctx, cancel := context.WithTimeout(ctx, gateTimeout)
	defer cancel()
	req, err := c.request(ctx, http.MethodPost, wire.GatePath, bytes.NewReader(body))
	if err != nil {
		return false, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return false, "", fmt.Errorf("hub: ask the rollout gate: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var a wire.GateAnswer
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &a) != nil {
		return false, "", fmt.Errorf("hub: rollout gate at %s: %s %s", c.URL, resp.Status, strings.TrimSpace(string(data)))
	}
	if !a.Allowed && a.Wave != "" {
		a.Reason = "wave " + a.Wave + ": " + a.Reason
	}
	return a.Allowed, a.Reason, nil
}

// gateTimeout bounds one question to the hub.
const gateTimeout = 30 * time.Second

var _ reconciler.Gate = (*Client)(nil)
