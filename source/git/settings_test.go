package gitsource

import (
	"errors"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/settings"
)

// TestSettingsAndConfigShareOneRule: the configuration file's section
// and the backend's Config refuse the same remotes with the same key, so
// that a config check-config accepts is one the agent can start with.
func TestSettingsAndConfigShareOneRule(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		key  string // "" when valid
	}{
		{"https", Settings{URL: "https://h/r.git", TokenFile: "/t"}, ""},
		{"scp-like", Settings{URL: "git@h:r.git", SSHKeyFile: "/k", KnownHostsFile: "/kh"}, ""},
		{"file", Settings{URL: "file:///srv/r"}, ""},
		{"user in https", Settings{URL: "https://u@h/r.git"}, "url"},
		{"password", Settings{URL: "https://u:hunter2@h/r.git"}, "url"},
		{"git scheme", Settings{URL: "git://h/r"}, "url"},
		{"ssh without key", Settings{URL: "ssh://h/r", KnownHostsFile: "/kh"}, "ssh_key_file"},
		{"ssh without known_hosts", Settings{URL: "ssh://h/r", SSHKeyFile: "/k"}, "known_hosts_file"},
		{"known_hosts with https", Settings{URL: "https://h/r", KnownHostsFile: "/kh"}, "known_hosts_file"},
		{"token with file", Settings{URL: "file:///r", TokenFile: "/t"}, "token_file"},
		{"bad branch", Settings{URL: "file:///r", Branch: "a..b"}, "branch"},
	}
	for _, tt := range tests {
		s := tt.s
		err := s.Validate()
		var se *settings.Error
		if tt.key == "" {
			if err != nil {
				t.Errorf("%s: Settings: got %v, want valid", tt.name, err)
			}
		} else if !errors.As(err, &se) || se.Key != tt.key {
			t.Errorf("%s: Settings: got %v, want an error of key %s", tt.name, err, tt.key)
		}
		c := s.Apply(validConfig())
		if tt.s.Branch == "" {
			c.Branch = ""
		}
		cerr := c.Validate()
		if (cerr == nil) != (err == nil) || err != nil && !strings.HasSuffix(cerr.Error(), err.Error()) {
			t.Errorf("%s: Config: got %v, want the Settings error %v", tt.name, cerr, err)
		}
		if strings.Contains(s.String()+" "+c.String(), "hunter2") {
			t.Errorf("%s: printed a password: %s / %s", tt.name, s.String(), c.String())
		}
	}
}
