package hub

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/berth-nix/berth/internal/hostname"
	"github.com/berth-nix/berth/internal/settings"
)

// DefaultConfigPath is where berth hub looks for its configuration.
const DefaultConfigPath = "/etc/berth-hub/config.yaml"

// Config is the hub's configuration file (docs/hub.md). Secrets are
// never inline: keys, tokens, webhook secrets and the PostgreSQL DSN are
// read from files.
type Config struct {
	// Listen is host:port of the API, the page, the agents' streams and
	// the forge webhook.
	Listen      string `yaml:"listen"`
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// ClientCAFile, when set, makes agents present a client certificate
	// signed by this CA on the agent paths (mTLS), besides their token.
	ClientCAFile string   `yaml:"client_ca_file"`
	Database     Database `yaml:"database"`
	// Branch is the branch whose pushes count; HostDir is the host
	// directory template of the fleet repository, as the agents have it.
	Branch  string `yaml:"branch"`
	HostDir string `yaml:"host_dir"`
	// StaleAfter is the age at which a host's last report is stale.
	StaleAfter time.Duration `yaml:"stale_after"`
	// AuditRetention is how long audit entries and old reports are kept.
	AuditRetention time.Duration `yaml:"audit_retention"`
	Keys           []KeyFile     `yaml:"keys"`
	// Hosts are the hosts allowed to report, by name, each with its token.
	Hosts   map[string]HostToken `yaml:"hosts"`
	Webhook WebhookConfig        `yaml:"webhook"`
	Rollout RolloutConfig        `yaml:"rollout"`
}

// Database names the store: exactly one of SQLite (a file path) and
// PostgresFile (a file holding a postgres:// DSN).
type Database struct {
	SQLite       string `yaml:"sqlite"`
	PostgresFile string `yaml:"postgres_file"`
}

// KeyFile is an API key configured in the file (the way in before any
// key exists in the database).
type KeyFile struct {
	Name    string `yaml:"name"`
	Role    string `yaml:"role"`
	KeyFile string `yaml:"key_file"`
}

// HostToken is a host's bearer token, in a file.
type HostToken struct {
	TokenFile string `yaml:"token_file"`
}

// WebhookConfig is the forge webhook at /v1/webhook.
type WebhookConfig struct {
	// SecretFiles each hold a secret; a delivery signed with any is
	// accepted (so a secret can be rotated).
	SecretFiles []string `yaml:"secret_files"`
	MaxBody     int64    `yaml:"max_body"`
}

// DefaultConfig is what every key the file leaves out gets.
func DefaultConfig() Config {
	return Config{Listen: ":9430", Branch: "main", HostDir: hostname.DefaultHostDir, StaleAfter: 45 * time.Minute,
		AuditRetention: 90 * 24 * time.Hour, Webhook: WebhookConfig{MaxBody: 1 << 20},
		Rollout: RolloutConfig{Interval: 15 * time.Second}}
}

// LoadConfig reads and validates the file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// ParseConfig decodes data strictly (unknown keys are errors) over the
// defaults and validates it; errors read file:line: key: problem.
func ParseConfig(name string, data []byte) (*Config, error) {
	c := DefaultConfig()
	root, err := settings.Decode(name, data, &c)
	if err != nil {
		return nil, err
	}
	if err := settings.Locate(name, root, c.validate()); err != nil {
		return nil, err
	}
	return &c, nil
}

// badKey is a validation failure of one key, given as a dotted path.
func badKey(key, format string, args ...any) error { return settings.Errorf(key, format, args...) }

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)
)

func (c *Config) validate() error {
	for _, check := range []func() error{c.validateServer, c.validateDatabase, c.validateKeys, c.validateHosts, c.validateWebhook, c.validateRollout} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateServer() error {
	if err := settings.HostPort("listen", c.Listen); err != nil {
		return err
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return badKey("tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	if c.ClientCAFile != "" && c.TLSCertFile == "" {
		return badKey("client_ca_file", "client certificates need TLS: set tls_cert_file and tls_key_file")
	}
	if _, _, err := hostname.Split(c.HostDir); err != nil || filepath.IsAbs(c.HostDir) {
		return badKey("host_dir", "must be a relative path holding %s once, as a whole path element, got %q", hostname.Placeholder, c.HostDir)
	}
	if c.StaleAfter <= 0 || c.AuditRetention <= 0 {
		return badKey("stale_after", "stale_after and audit_retention must be positive")
	}
	return settings.OptionalAbs(settings.Path{Key: "tls_cert_file", Value: c.TLSCertFile}, settings.Path{Key: "tls_key_file", Value: c.TLSKeyFile},
		settings.Path{Key: "client_ca_file", Value: c.ClientCAFile})
}

func (c *Config) validateDatabase() error {
	d := c.Database
	if (d.SQLite == "") == (d.PostgresFile == "") {
		return badKey("database", "set exactly one of database.sqlite and database.postgres_file")
	}
	return settings.OptionalAbs(settings.Path{Key: "database.sqlite", Value: d.SQLite}, settings.Path{Key: "database.postgres_file", Value: d.PostgresFile})
}

func (c *Config) validateKeys() error {
	seen := map[string]bool{}
	for i, k := range c.Keys {
		at := "keys[" + strconv.Itoa(i) + "]"
		if !nameRE.MatchString(k.Name) || seen[k.Name] {
			return badKey(at+".name", "%q is not a valid, unique key name", k.Name)
		}
		seen[k.Name] = true
		if roleRank(k.Role) == 0 {
			return badKey(at+".role", "must be read, operate or admin, got %q", k.Role)
		}
		if settings.Abs(at+".key_file", k.KeyFile) != nil {
			return badKey(at+".key_file", "an absolute path is required, got %q", k.KeyFile)
		}
	}
	return nil
}

func (c *Config) validateHosts() error {
	for name, h := range c.Hosts {
		if !hostname.Valid(name) {
			return badKey("hosts."+name, "%q is not a valid host name", name)
		}
		if h.TokenFile == "" || !filepath.IsAbs(h.TokenFile) {
			return badKey("hosts."+name+".token_file", "an absolute path is required, got %q", h.TokenFile)
		}
	}
	return nil
}

func (c *Config) validateWebhook() error {
	for i, f := range c.Webhook.SecretFiles {
		if err := settings.Abs("webhook.secret_files["+strconv.Itoa(i)+"]", f); err != nil {
			return err
		}
	}
	if c.Webhook.MaxBody < 1024 {
		return badKey("webhook.max_body", "must be at least 1024 bytes, got %d", c.Webhook.MaxBody)
	}
	return nil
}
