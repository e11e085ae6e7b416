package hubclient

import (
	"log/slog"
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
