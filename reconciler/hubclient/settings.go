package hubclient

import (
	"log/slog"
	"time"

	"github.com/berth-nix/berth/internal/redact"
	"github.com/berth-nix/berth/internal/settings"
)

// Settings is the hub section of the agent's configuration file
// (docs/hub.md): the agent posts its reports to the hub and keeps an
// outbound event stream on which the hub asks it to poll. Nothing
// connects to the host.
type Settings struct {
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
	// MaxWait is how long a new configuration waits for a hub that
	// cannot be asked whether its rollout wave may take it, before it is
	// applied anyway; zero waits for ever.
	MaxWait time.Duration `yaml:"max_wait"`
}

// Validate checks s. An error is a *settings.Error naming the key inside
// the section.
func (s *Settings) Validate() error {
	if s.MaxWait < 0 {
		return settings.Errorf("max_wait", "must not be negative, got %s", s.MaxWait)
	}
	if s.URL == "" {
		if s.TokenFile != "" || s.TLSCertFile != "" || s.MaxWait != 0 {
			return settings.Errorf("url", "is required when other hub keys are set")
		}
		return nil
	}
	if err := settings.HTTPURL("url", s.URL); err != nil {
		return err
	}
	if err := settings.Abs("token_file", s.TokenFile); err != nil {
		return settings.Errorf("token_file", "is required with hub.url and must be an absolute path, got %q", s.TokenFile)
	}
	if !settings.TokenTransportSafe(s.URL) {
		return settings.Errorf("url", "%s: the host's token is sent in clear over http://; use https://, or a loopback address such as http://127.0.0.1", redact.URL(s.URL))
	}
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		return settings.Errorf("tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	return settings.OptionalAbs(settings.Path{Key: "tls_cert_file", Value: s.TLSCertFile},
		settings.Path{Key: "tls_key_file", Value: s.TLSKeyFile}, settings.Path{Key: "ca_file", Value: s.CAFile})
}

// String describes s without any secret.
func (s Settings) String() string {
	if s.URL == "" {
		return "no hub"
	}
	return "hub " + redact.URL(s.URL)
}

// Client returns the agent's connection to the hub of s, or nil without
// one.
func (s Settings) Client(log *slog.Logger) (*Client, error) {
	if s.URL == "" {
		return nil, nil
	}
	httpc, err := NewHTTPClient(s.TLSCertFile, s.TLSKeyFile, s.CAFile)
	if err != nil {
		return nil, err
	}
	return &Client{URL: s.URL, TokenFile: s.TokenFile, HTTP: httpc, Log: log.With("hub", s.URL)}, nil
}
