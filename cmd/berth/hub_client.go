package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// hubClientOptions say which hub the admin CLI talks to, and with which
// API key.
type hubClientOptions struct {
	URL     string
	KeyFile string
}

func (o *hubClientOptions) flags(f *pflag.FlagSet) {
	f.StringVar(&o.URL, "hub", os.Getenv("BERTH_HUB_URL"), "hub URL, such as https://hub.example.org (or BERTH_HUB_URL)")
	f.StringVar(&o.KeyFile, "key-file", os.Getenv("BERTH_HUB_KEY_FILE"), "file holding the API key (or BERTH_HUB_KEY_FILE)")
}

// call sends a JSON request to the hub and decodes the JSON answer into
// out (when not nil). A non-2xx answer is an error carrying the hub's
// message.
func (o *hubClientOptions) call(ctx context.Context, method, path string, in, out any) error {
	if o.URL == "" {
		return &exitError{exitUsage, fmt.Errorf("no hub: give --hub URL or set BERTH_HUB_URL")}
	}
	if o.KeyFile == "" {
		return &exitError{exitUsage, fmt.Errorf("no API key: give --key-file or set BERTH_HUB_KEY_FILE")}
	}
	key, err := os.ReadFile(o.KeyFile)
	if err != nil {
		return fmt.Errorf("API key: %w", err)
	}
	var body io.Reader
	if in != nil {
		data, _ := json.Marshal(in)
		body = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(o.URL, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		json.Unmarshal(data, &e)
		return fmt.Errorf("hub %s %s: %s: %s", method, path, resp.Status, e.Error)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	return json.Unmarshal(data, out)
}
