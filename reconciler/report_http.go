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
	"strings"

	"github.com/berth-nix/berth/internal/redact"
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
