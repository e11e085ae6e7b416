package config

import (
	"net"
	"path/filepath"
	"regexp"
	"time"
)

// Control configures the local control socket of the agent.
type Control struct {
	// Socket is the unix socket the CLI talks to.
	Socket string `yaml:"socket"`
	// Group may read status and history through the socket; changing
	// anything needs root. Without such a group only root may connect.
	Group string `yaml:"group"`
	// PostponeMax is the longest a member of Group may postpone an
	// update (berth postpone); 0 lets nobody but root hold updates.
	PostponeMax time.Duration `yaml:"postpone_max"`
}

// Webhook configures the optional HTTP listener that makes the agent poll
// at once. The request never says what to apply, only "look now".
type Webhook struct {
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

// Metrics configures the optional Prometheus endpoint.
type Metrics struct {
	Enabled bool `yaml:"enabled"`
	// Listen is host:port of /metrics; localhost unless set.
	Listen string `yaml:"listen"`
}

// groupRE is what useradd accepts as a group name.
var groupRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

func (c *Config) validateControl() error {
	if !filepath.IsAbs(c.Control.Socket) {
		return bad("control.socket", "must be an absolute path, got %q", c.Control.Socket)
	}
	if c.Control.PostponeMax < 0 {
		return bad("control.postpone_max", "must not be negative")
	}
	if c.Control.Group != "" && !groupRE.MatchString(c.Control.Group) {
		return bad("control.group", "%q is not a valid group name", c.Control.Group)
	}
	if c.Metrics.Enabled {
		if err := checkListen("metrics.listen", c.Metrics.Listen); err != nil {
			return err
		}
	}
	return c.validateWebhook()
}

func (c *Config) validateWebhook() error {
	w := c.Webhook
	if !w.Enabled {
		return nil
	}
	if err := checkListen("webhook.listen", w.Listen); err != nil {
		return err
	}
	if w.SecretFile == "" || !filepath.IsAbs(w.SecretFile) {
		return bad("webhook.secret_file", "an absolute path is required when the webhook is enabled, got %q", w.SecretFile)
	}
	if (w.TLSCertFile == "") != (w.TLSKeyFile == "") {
		return bad("webhook.tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	if w.MaxBody < 1024 {
		return bad("webhook.max_body", "must be at least 1024 bytes, got %d", w.MaxBody)
	}
	if w.MinInterval < 0 {
		return bad("webhook.min_interval", "must not be negative")
	}
	return nil
}

func checkListen(key, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return bad(key, "must be host:port, got %q", addr)
	}
	return nil
}
