package health

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTP passes when a GET of URL answers within Timeout with a status in
// Status (default 200-399) and, if Body is set, a body that contains it.
// Redirects are followed; TLS certificates are verified unless Insecure.
type HTTP struct {
	CheckName string
	URL       string
	Status    string
	Body      string
	Insecure  bool
	Timeout   time.Duration
}

func (c HTTP) Name() string { return c.CheckName }

// maxBody bounds how much of a response is read to look for Body.
const maxBody = 1 << 20

func (c HTTP) Run(ctx context.Context) error {
	ranges, err := parseStatus(orDefault(c.Status, DefaultStatus))
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return err
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("GET %s: read body: %w", c.URL, err)
	}
	if !ranges.contain(resp.StatusCode) {
		return fmt.Errorf("GET %s: %s, want %s: %s", c.URL, resp.Status, c.Status, lastBytes(body, 200))
	}
	if c.Body != "" && !bytes.Contains(body, []byte(c.Body)) {
		return fmt.Errorf("GET %s: %s, but the body does not contain %q: %s", c.URL, resp.Status, c.Body, lastBytes(body, 200))
	}
	return nil
}

// client is a fresh client per attempt: no connection is reused, so every
// attempt sees the network as the new configuration left it.
func (c HTTP) client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	if c.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return &http.Client{Transport: tr}
}

// statusRanges are inclusive ranges of HTTP status codes.
type statusRanges [][2]int

func (rs statusRanges) contain(code int) bool {
	for _, r := range rs {
		if code >= r[0] && code <= r[1] {
			return true
		}
	}
	return false
}

// parseStatus reads "200", "200-299" or a comma-separated list of them.
func parseStatus(s string) (statusRanges, error) {
	var rs statusRanges
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || a < 100 || b > 599 || a > b {
			return nil, fmt.Errorf("%q: want status codes or ranges such as 200-299,304", s)
		}
		rs = append(rs, [2]int{a, b})
	}
	return rs, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
