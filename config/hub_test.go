package config

import (
	"strings"
	"testing"
)

func TestHubKeys(t *testing.T) {
	c, err := Parse("c", []byte(minimal+"hub:\n  url: https://hub.example.org:9430\n  token_file: /etc/berth/hub-token\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Hub.URL != "https://hub.example.org:9430" || c.Hub.TokenFile != "/etc/berth/hub-token" {
		t.Errorf("got %+v", c.Hub)
	}
	tests := []struct{ hub, want string }{
		{"hub:\n  token_file: /t\n", "hub.url: is required when other hub keys are set"},
		{"hub:\n  url: ftp://hub\n  token_file: /t\n", "hub.url: must be an http:// or https:// URL"},
		{"hub:\n  url: https://u:p@hub\n  token_file: /t\n", "hub.url: must be an http:// or https:// URL without credentials"},
		{"hub:\n  url: https://hub\n", "hub.token_file: is required with hub.url"},
		{"hub:\n  url: https://hub\n  token_file: /t\n  tls_cert_file: /c\n", "hub.tls_cert_file: tls_cert_file and tls_key_file go together"},
		{"hub:\n  url: https://hub\n  token_file: /t\n  ca_file: ca.pem\n", "hub.ca_file: must be an absolute path"},
	}
	for _, tt := range tests {
		_, err := Parse("c", []byte(minimal+tt.hub))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.hub, err, tt.want)
		}
	}
}
