package gitsource

import (
	"fmt"
	"strings"
	"testing"
)

func validConfig() Config {
	return Config{
		URL: "https://git.example.org/fleet.git", Host: "laptop1", HostDir: "hosts/laptop1",
		StateDir: "/var/lib/berth/git", StageDir: "/var/lib/berth/stage", TokenFile: "/etc/berth/token",
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" for valid
	}{
		{"valid https", func(*Config) {}, ""},
		{"valid file", func(c *Config) { c.URL, c.TokenFile = "file:///srv/fleet.git", "" }, ""},
		{"valid ssh", func(c *Config) {
			c.URL, c.TokenFile, c.SSHKeyFile, c.KnownHostsFile = "ssh://git@h:2222/fleet.git", "", "/k", "/kh"
		}, ""},
		{"valid scp-like", func(c *Config) {
			c.URL, c.TokenFile, c.SSHKeyFile, c.KnownHostsFile = "git@github.com:org/fleet.git", "", "/k", "/kh"
		}, ""},
		{"missing url", func(c *Config) { c.URL = "" }, "url: missing"},
		{"password in url", func(c *Config) { c.URL = "https://u:hunter2@h/r.git" }, "must not carry a password"},
		{"unknown scheme", func(c *Config) { c.URL = "git://h/r.git" }, `unsupported scheme "git"`},
		{"not a url", func(c *Config) { c.URL = "fleet" }, "want https://"},
		{"ssh without known_hosts", func(c *Config) { c.URL, c.TokenFile, c.SSHKeyFile = "ssh://h/r", "", "/k" }, "known_hosts"},
		{"token with ssh", func(c *Config) { c.URL, c.SSHKeyFile, c.KnownHostsFile = "ssh://h/r", "/k", "/kh" }, "token file applies only"},
		{"key with https", func(c *Config) { c.SSHKeyFile = "/k" }, "apply only to SSH"},
		{"token over http", func(c *Config) { c.URL = "http://git.example.org/fleet.git" }, "sent in clear over http://"},
		{"token over http to localhost", func(c *Config) { c.URL = "http://localhost:8080/fleet.git" }, "sent in clear"},
		{"token over http to a LAN address", func(c *Config) { c.URL = "http://192.168.1.5/fleet.git" }, "sent in clear"},
		{"token over http to loopback", func(c *Config) { c.URL = "http://127.0.0.1:8080/fleet.git" }, ""},
		{"token over http to IPv6 loopback", func(c *Config) { c.URL = "http://[::1]:8080/fleet.git" }, ""},
		{"public repository over http", func(c *Config) { c.URL, c.TokenFile = "http://git.example.org/fleet.git", "" }, ""},
		{"bad branch", func(c *Config) { c.Branch = "a..b" }, `branch: "a..b"`},
		{"no host", func(c *Config) { c.Host = "" }, "host: missing"},
		{"host dir escapes", func(c *Config) { c.HostDir = "../x" }, `host dir "../x"`},
		{"host dir absolute", func(c *Config) { c.HostDir = "/hosts/x" }, `host dir "/hosts/x"`},
		{"relative state dir", func(c *Config) { c.StateDir = "state" }, `state dir "state"`},
		{"no stage dir", func(c *Config) { c.StageDir = "" }, "stage dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			err := c.Validate()
			if got := fmt.Sprint(err); (tt.want == "") != (err == nil) || !strings.Contains(got, tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	s := newSource(t, validConfig())
	if s.cfg.Branch != DefaultBranch || s.cfg.HTTPUser != DefaultHTTPUser || s.cfg.Timeout != DefaultTimeout {
		t.Errorf("got %v, want defaults", s.cfg)
	}
}

// TestConfigRedacted checks that no way of printing a Config shows a
// password, even one Validate would refuse.
func TestConfigRedacted(t *testing.T) {
	for _, url := range []string{"https://u:hunter2@h/r.git", "https://u:hunter2@h/%zz", "u:hunter2@h:r"} {
		c := validConfig()
		c.URL = url
		for _, out := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprint(c.Validate())} {
			if strings.Contains(out, "hunter2") {
				t.Errorf("got %q, want no password", out)
			}
		}
	}
}
