package config

import (
	"net/url"
	"path/filepath"

	"github.com/berth-nix/berth/internal/redact"
	"github.com/berth-nix/berth/internal/settings"
)

// Report configures where the agent sends its report after every
// reconcile, besides the state directory (docs/reports.md).
type Report struct {
	// HTTPURL receives each report as a JSON POST; {hostname} is
	// replaced. Empty sends none.
	HTTPURL string `yaml:"http_url"`
	// TokenFile holds this host's bearer token for HTTPURL; it is read
	// again for every report.
	TokenFile string `yaml:"token_file"`
}

func (c *Config) validateFilesReport() error {
	if err := settings.Under("files", c.Files.Validate()); err != nil {
		return err
	}
	r := c.Report
	if r.HTTPURL == "" {
		if r.TokenFile != "" {
			return bad("report.token_file", "is set but report.http_url is not")
		}
		return nil
	}
	u, err := url.Parse(c.Expand(r.HTTPURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return bad("report.http_url", "must be an http:// or https:// URL, got %q", redact.URL(r.HTTPURL))
	}
	if u.User != nil {
		return bad("report.http_url", "must not contain credentials; use report.token_file")
	}
	if !filepath.IsAbs(r.TokenFile) {
		return bad("report.token_file", "is required with report.http_url and must be an absolute path, got %q", r.TokenFile)
	}
	return nil
}
