package config

import (
	"strings"
	"testing"
	"time"
)

func TestControlWebhookMetricsDefaults(t *testing.T) {
	c, err := Parse("c.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Webhook.Enabled || c.Metrics.Enabled {
		t.Errorf("webhook %v, metrics %v: want both off by default", c.Webhook.Enabled, c.Metrics.Enabled)
	}
	if got, want := c.Control.Socket, "/run/berth/berth.sock"; got != want {
		t.Errorf("socket: got %q, want %q", got, want)
	}
	if got, want := c.Metrics.Listen, "127.0.0.1:9421"; got != want {
		t.Errorf("metrics listen: got %q, want %q", got, want)
	}
}

func TestWebhookEnabled(t *testing.T) {
	c, err := Parse("c.yaml", []byte(minimal+"webhook:\n  enabled: true\n  secret_file: /run/keys/hook\n  min_interval: 3s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Webhook.MinInterval != 3*time.Second || c.Webhook.MaxBody != 1<<20 {
		t.Errorf("got %+v", c.Webhook)
	}
}

func TestControlWebhookMetricsErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"relative socket", "control:\n  socket: berth.sock\n", []string{"c.yaml:8", "control.socket"}},
		{"bad group", "control:\n  group: Bad Group\n", []string{"control.group"}},
		{"no secret", "webhook:\n  enabled: true\n", []string{"c.yaml:7", "webhook.secret_file"}},
		{"bad listen", "webhook:\n  enabled: true\n  listen: nowhere\n  secret_file: /s\n", []string{"webhook.listen", "nowhere"}},
		{"half tls", "webhook:\n  enabled: true\n  secret_file: /s\n  tls_key_file: /k\n", []string{"webhook.tls_cert_file"}},
		{"tiny body", "webhook:\n  enabled: true\n  secret_file: /s\n  max_body: 10\n", []string{"webhook.max_body"}},
		{"metrics listen", "metrics:\n  enabled: true\n  listen: 9421\n", []string{"metrics.listen"}},
	}
	for _, tt := range tests {
		_, err := Parse("c.yaml", []byte(minimal+tt.doc))
		if err == nil {
			t.Errorf("%s: got no error, want one", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: got %q, want it to contain %q", tt.name, err, w)
			}
		}
	}
}
