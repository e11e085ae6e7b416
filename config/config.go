// Package config reads the agent's YAML configuration file.
//
// Decoding is strict: an unknown key, a value of the wrong type or an
// invalid value is an error naming the file, the line and the key.
package config

import (
	"fmt"
	"os"
	"time"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/activate/files"
	"github.com/berth-nix/berth/internal/hostname"
	"github.com/berth-nix/berth/internal/settings"
	"github.com/berth-nix/berth/internal/webhook"
	"github.com/berth-nix/berth/nixos"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/hubclient"
	"github.com/berth-nix/berth/reconciler/reboot"
	gitsource "github.com/berth-nix/berth/source/git"
	sftpsource "github.com/berth-nix/berth/source/sftp"
	"github.com/berth-nix/berth/source/tree"
)

// DefaultPath is where the agent looks for its configuration.
const DefaultPath = "/etc/berth/config.yaml"

// Config is the whole agent configuration. Every field has a yaml key;
// defaults are filled in by Load.
type Config struct {
	// Hostname selects the host directory and flake attribute; defaults to
	// the machine's host name.
	Hostname string `yaml:"hostname"`
	// StateDir holds state, history, logs, the fetched repository and
	// staged artifacts.
	StateDir string                      `yaml:"state_dir"`
	Source   Source                      `yaml:"source"`
	Nix      nixos.Settings              `yaml:"nix"`
	Schedule reconciler.ScheduleSettings `yaml:"schedule"`
	Activate activate.ActivationSettings `yaml:"activation"`
	History  History                     `yaml:"history"`
	Log      Log                         `yaml:"log"`
	Control  Control                     `yaml:"control"`
	Webhook  webhook.Settings            `yaml:"webhook"`
	Metrics  Metrics                     `yaml:"metrics"`
	Health   activate.HealthSettings     `yaml:"health"`
	Hooks    activate.HookSettings       `yaml:"hooks"`
	Files    files.Settings              `yaml:"files"`
	Report   reconciler.ReportSettings   `yaml:"report"`
	Trust    Trust                       `yaml:"trust"`
	Prebuilt activate.PrebuiltSettings   `yaml:"prebuilt"`
	Reboot   reboot.Settings             `yaml:"reboot"`
	Notify   Notify                      `yaml:"notify"`
	Power    Power                       `yaml:"power"`
	Hub      hubclient.Settings          `yaml:"hub"`
	// Retention and Drift govern the host's life between deployments.
	Retention nixos.RetentionSettings  `yaml:"retention"`
	Drift     reconciler.DriftSettings `yaml:"drift"`
}

// Source says where the host's configuration comes from.
type Source struct {
	// HostDir is the path template of this host's directory inside the
	// repository; {hostname} is replaced.
	HostDir string `yaml:"host_dir"`
	// Timeout bounds every network operation.
	Timeout time.Duration `yaml:"timeout"`
	// MaxFiles, MaxBytes and MaxDepth bound the host tree.
	MaxFiles int   `yaml:"max_files"`
	MaxBytes int64 `yaml:"max_bytes"`
	MaxDepth int   `yaml:"max_depth"`
	// MaxFetchBytes bounds what one git fetch may add to the local
	// repository, so a remote cannot fill the disk before the host tree's
	// limits apply.
	MaxFetchBytes int64 `yaml:"max_fetch_bytes"`
	// Git and SFTP are the sources' own sections; exactly one is set.
	Git  *gitsource.Settings  `yaml:"git"`
	SFTP *sftpsource.Settings `yaml:"sftp"`
}

// Limits are the bounds of the host tree, for every source.
func (s Source) Limits() tree.Limits {
	return tree.Limits{MaxFiles: s.MaxFiles, MaxBytes: s.MaxBytes, MaxDepth: s.MaxDepth}
}

// History configures the attempt record.
type History struct {
	Keep int `yaml:"keep"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
}

// Defaults returns the configuration used for every key the file leaves out.
func Defaults() Config {
	return Config{
		StateDir: "/var/lib/berth",
		Source: Source{
			HostDir:       hostname.DefaultHostDir,
			Timeout:       2 * time.Minute,
			MaxFiles:      100_000,
			MaxBytes:      1 << 30,
			MaxDepth:      64,
			MaxFetchBytes: 4 << 30,
		},
		Nix:       nixos.DefaultSettings(),
		Schedule:  reconciler.DefaultScheduleSettings(),
		Activate:  activate.DefaultActivationSettings(),
		History:   History{Keep: 50},
		Log:       Log{Level: "info"},
		Control:   Control{Socket: "/run/berth/berth.sock", Group: "berth", PostponeMax: 4 * time.Hour},
		Webhook:   webhook.DefaultSettings(),
		Metrics:   Metrics{Listen: "127.0.0.1:9421"},
		Health:    activate.DefaultHealthSettings(),
		Files:     files.DefaultSettings(),
		Reboot:    reboot.DefaultSettings(),
		Retention: nixos.DefaultRetentionSettings(),
		Drift:     reconciler.DefaultDriftSettings(),
	}
}

// Load reads and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes data (named name in errors) over the defaults and
// validates the result.
func Parse(name string, data []byte) (*Config, error) {
	c := Defaults()
	root, err := settings.Decode(name, data, &c)
	if err != nil {
		return nil, err
	}
	if c.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("%s: hostname not set and the machine's is unknown: %w", name, err)
		}
		c.Hostname = h
	}
	if err := settings.Locate(name, root, c.validate()); err != nil {
		return nil, err
	}
	return &c, nil
}

// Expand replaces {hostname} in s.
func (c *Config) Expand(s string) string {
	return hostname.Expand(s, c.Hostname)
}
