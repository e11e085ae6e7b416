package config

import (
	"regexp"
	"time"

	"github.com/berth-nix/berth/internal/settings"
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

// Metrics configures the optional Prometheus endpoint.
type Metrics struct {
	Enabled bool `yaml:"enabled"`
	// Listen is host:port of /metrics; localhost unless set.
	Listen string `yaml:"listen"`
}

// groupRE is what useradd accepts as a group name.
var groupRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

func (c *Config) validateControl() error {
	if err := settings.Abs("control.socket", c.Control.Socket); err != nil {
		return err
	}
	if c.Control.PostponeMax < 0 {
		return bad("control.postpone_max", "must not be negative")
	}
	if c.Control.Group != "" && !groupRE.MatchString(c.Control.Group) {
		return bad("control.group", "%q is not a valid group name", c.Control.Group)
	}
	if c.Metrics.Enabled {
		if err := settings.Under("metrics", settings.HostPort("listen", c.Metrics.Listen)); err != nil {
			return err
		}
	}
	return settings.Under("webhook", c.Webhook.Validate())
}
