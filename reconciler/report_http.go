package reconciler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-nix/berth/internal/hostname"
	"github.com/berth-nix/berth/internal/redact"
	"github.com/berth-nix/berth/internal/settings"
)

// HTTPReporter POSTs each report as JSON to URL with this host's bearer
// token, read from TokenFile for every report so that a rotated token is
// picked up. Any 2xx answer is success. It needs no rights on the
// configuration repository.
type HTTPReporter struct {
	URL       string
	TokenFile string
	// Client defaults to http.DefaultClient; the deadline comes from the
	// context Send is given.
	Client *http.Client
}

var _ Reporter = (*HTTPReporter)(nil)

// Send posts rep; logPath is not uploaded.
func (h *HTTPReporter) Send(ctx context.Context, rep HostReport, _ string) error {
	token, err := os.ReadFile(h.TokenFile)
	if err != nil {
		return fmt.Errorf("report token: %w", err)
	}
	body, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("report URL %s: invalid", redact.URL(h.URL))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// A *url.Error names the full URL, query token included; it
		// reaches logs and status, so name the redacted one instead.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post the report to %s: %w", redact.URL(h.URL), err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post the report to %s: %s", redact.URL(h.URL), resp.Status)
	}
	return nil
}

// ReportSettings is the report section of the agent's configuration file
// (docs/reports.md): where the agent sends its report after every
// reconcile, besides the state directory.
type ReportSettings struct {
	// HTTPURL receives each report as a JSON POST; {hostname} is
	// replaced. Empty sends none.
	HTTPURL string `yaml:"http_url"`
	// TokenFile holds this host's bearer token for HTTPURL; it is read
	// again for every report.
	TokenFile string `yaml:"token_file"`
	// Heartbeat is how often a report that says nothing new is uploaded
	// to the SFTP server anyway; DefaultReportHeartbeat when zero.
	Heartbeat time.Duration `yaml:"heartbeat"`
}

// Validate checks s. An error is a *settings.Error naming the key inside
// the section.
func (s *ReportSettings) Validate() error {
	if s.Heartbeat < 0 {
		return settings.Errorf("heartbeat", "must not be negative, got %s", s.Heartbeat)
	}
	if s.HTTPURL == "" {
		if s.TokenFile != "" {
			return settings.Errorf("token_file", "is set but report.http_url is not")
		}
		return nil
	}
	// Any valid host name makes the same URL valid or not.
	if err := settings.HTTPURL("http_url", hostname.Expand(s.HTTPURL, "host")); err != nil {
		return err
	}
	if !filepath.IsAbs(s.TokenFile) {
		return settings.Errorf("token_file", "is required with report.http_url and must be an absolute path, got %q", s.TokenFile)
	}
	return nil
}

// String describes s without any secret.
func (s ReportSettings) String() string {
	if s.HTTPURL == "" {
		return "report to the state directory"
	}
	return "report to " + redact.URL(s.HTTPURL)
}

// HTTPReporter returns the reporter of s for host, or nil when s sends
// no reports over HTTP.
func (s ReportSettings) HTTPReporter(host string) *HTTPReporter {
	if s.HTTPURL == "" {
		return nil
	}
	return &HTTPReporter{URL: hostname.Expand(s.HTTPURL, host), TokenFile: s.TokenFile}
}
