package config

import (
	"net/url"
	"path/filepath"

	"github.com/berth-nix/berth/internal/redact"
)

// Hub connects the agent to a berth hub (docs/hub.md): it posts its
// reports there and keeps an outbound event stream on which the hub asks
// it to poll. Nothing connects to the host.
type Hub struct {
	// URL is the hub's base URL; empty means no hub.
	URL string `yaml:"url"`
	// TokenFile holds this host's token; it is read again on every
	// connection.
	TokenFile string `yaml:"token_file"`
	// TLSCertFile and TLSKeyFile, both or neither, are the client
	// certificate for a hub that asks for one; CAFile, when set, is the
	// only CA the hub's certificate may chain to.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	CAFile      string `yaml:"ca_file"`
}

func (c *Config) validateHub() error {
	h := c.Hub
	if h.URL == "" {
		if h.TokenFile != "" || h.TLSCertFile != "" {
			return bad("hub.url", "is required when other hub keys are set")
		}
		return nil
	}
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return bad("hub.url", "must be an http:// or https:// URL without credentials, got %q", redact.URL(h.URL))
	}
	if !filepath.IsAbs(h.TokenFile) {
		return bad("hub.token_file", "is required with hub.url and must be an absolute path, got %q", h.TokenFile)
	}
	if (h.TLSCertFile == "") != (h.TLSKeyFile == "") {
		return bad("hub.tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	for key, p := range map[string]string{"tls_cert_file": h.TLSCertFile, "tls_key_file": h.TLSKeyFile, "ca_file": h.CAFile} {
		if p != "" && !filepath.IsAbs(p) {
			return bad("hub."+key, "must be an absolute path, got %q", p)
		}
	}
	return nil
}
