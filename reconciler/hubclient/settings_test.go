package hubclient

import (
	"log/slog"
	"strings"
	"testing"
)

// TestSettingsClient: no hub.url, no client; with one, a client for it
// with the token file.
func TestSettingsClient(t *testing.T) {
	if c, err := (Settings{}).Client(slog.Default()); c != nil || err != nil {
		t.Errorf("got %v, %v without a hub", c, err)
	}
	s := Settings{URL: "https://hub.example.org:9430", TokenFile: "/etc/berth/hub-token"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := s.Client(slog.Default())
	if err != nil || c.URL != s.URL || c.TokenFile != s.TokenFile || c.HTTP == nil {
		t.Errorf("got %+v, %v", c, err)
	}
}

// TestSettingsRefuseTokenInClear: the host's token goes over plain http
// only to a loopback address written as one, as the git source's does.
func TestSettingsRefuseTokenInClear(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://hub.example.org", true},
		{"http://127.0.0.1:9430", true},
		{"http://[::1]:9430", true},
		{"http://hub.lan:9430", false},
		{"http://localhost:9430", false},
	} {
		s := Settings{URL: tt.url, TokenFile: "/etc/berth/hub-token"}
		err := s.Validate()
		if (err == nil) != tt.ok || (err != nil && !strings.Contains(err.Error(), "sent in clear")) {
			t.Errorf("%s: got %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}
