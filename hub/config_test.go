package hub

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	good := "database:\n  sqlite: /var/lib/berth-hub/hub.db\nhosts:\n  laptop1:\n    token_file: /run/keys/laptop1\n"
	c, err := ParseConfig("hub.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":9430" || c.Branch != "main" || c.Hosts["laptop1"].TokenFile != "/run/keys/laptop1" {
		t.Errorf("got %+v", c)
	}
	tests := []struct{ yaml, want string }{
		{"listen: nowhere\ndatabase: {sqlite: /x}\n", "hub.yaml:1: listen: must be host:port"},
		{"database: {}\n", "hub.yaml:1: database: set exactly one"},
		{"database:\n  sqlite: relative.db\n", "hub.yaml:2: database.sqlite: must be an absolute path"},
		{"database: {sqlite: /x}\nkeys:\n  - name: a\n    role: admin\n    key_file: /k\n  - name: b\n    role: boss\n    key_file: /k\n", "hub.yaml:7: keys[1].role: must be read, operate or admin"},
		{"database: {sqlite: /x}\nhosts:\n  laptop1:\n    token_file: t\n", "hub.yaml:4: hosts.laptop1.token_file: an absolute path is required"},
		{"database: {sqlite: /x}\nbogus: 1\n", "field bogus not found"},
		{"database: {sqlite: /x}\nwebhook:\n  secret_files: [/a, b]\n", "hub.yaml:3: webhook.secret_files[1]: must be an absolute path"},
		{"database: {sqlite: /x}\nhost_dir: hosts/{hostname}-nixos\n", "hub.yaml:2: host_dir: must be a relative path holding {hostname} once"},
		{"database: {sqlite: /x}\nhosts:\n  -bad:\n    token_file: /t\n", "hub.yaml:3: hosts.-bad: \"-bad\" is not a valid host name"},
		{"database: {sqlite: /x}\nclient_ca_file: /ca.pem\n", "hub.yaml:2: client_ca_file: client certificates need TLS"},
	}
	for _, tt := range tests {
		_, err := ParseConfig("hub.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
