package webhook

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/berth-nix/berth/internal/settings"
)

// Settings is the webhook section of the agent's configuration file: the
// optional HTTP listener that makes the agent poll at once. The request
// never says what to apply, only "look now".
type Settings struct {
	Enabled bool `yaml:"enabled"`
	// Listen is host:port; the webhook must be reachable by the forge.
	Listen string `yaml:"listen"`
	// SecretFile holds the shared secret (surrounding whitespace ignored).
	SecretFile string `yaml:"secret_file"`
	// TLSCertFile and TLSKeyFile, both or neither, serve HTTPS.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// MaxBody caps the request body in bytes.
	MaxBody int64 `yaml:"max_body"`
	// MinInterval is the least time between two reconciles a webhook
	// starts; requests in between are folded into one later trigger.
	MinInterval time.Duration `yaml:"min_interval"`
	// Branch is the branch whose pushes count; pushes naming another one
	// are ignored. Empty means the git source's branch.
	Branch string `yaml:"branch"`
}

// DefaultSettings leave the webhook off.
func DefaultSettings() Settings {
	return Settings{Listen: ":9420", MaxBody: 1 << 20, MinInterval: 10 * time.Second}
}

// Validate checks s when it is enabled. An error is a *settings.Error
// naming the key inside the section.
func (s *Settings) Validate() error {
	if !s.Enabled {
		return nil
	}
	if err := settings.HostPort("listen", s.Listen); err != nil {
		return err
	}
	if s.SecretFile == "" || !filepath.IsAbs(s.SecretFile) {
		return settings.Errorf("secret_file", "an absolute path is required when the webhook is enabled, got %q", s.SecretFile)
	}
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		return settings.Errorf("tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	if s.MaxBody < 1024 {
		return settings.Errorf("max_body", "must be at least 1024 bytes, got %d", s.MaxBody)
	}
	if s.MinInterval < 0 {
		return settings.Errorf("min_interval", "must not be negative")
	}
	return nil
}

// String describes s; it names the secret's file, not the secret.
func (s Settings) String() string {
	if !s.Enabled {
		return "webhook off"
	}
	return fmt.Sprintf("webhook on %s (TLS %t), secret in %s", s.Listen, s.TLSCertFile != "", s.SecretFile)
}

// Handler reads the secret and returns the handler of s. Pushes to
// s.Branch count, or to sourceBranch when s names none.
func (s Settings) Handler(sourceBranch string, trigger func(reason string), log *slog.Logger) (*Handler, error) {
	secret, err := LoadSecret(s.SecretFile)
	if err != nil {
		return nil, err
	}
	branch := s.Branch
	if branch == "" {
		branch = sourceBranch
	}
	return &Handler{Secret: secret, MaxBody: s.MaxBody, Branch: branch, MinInterval: s.MinInterval, Trigger: trigger, Log: log}, nil
}
