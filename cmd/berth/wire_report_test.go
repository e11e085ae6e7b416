package main

import (
	"fmt"
	"testing"

	"github.com/berth-nix/berth/config"
	"github.com/berth-nix/berth/reconciler"
)

// TestNewReporter: an SFTP source reports into its chroot, report.http_url
// adds the HTTP endpoint, both together send to both.
func TestNewReporter(t *testing.T) {
	const sftp = "source:\n  sftp:\n    address: 127.0.0.1:2222\n    user: alpha\n    ssh_key_file: /etc/berth/key\n    known_hosts_file: /etc/berth/known_hosts\n"
	const git = "source:\n  git:\n    url: https://example.org/fleet.git\n"
	const http = "report:\n  http_url: https://example.org/reports\n  token_file: /etc/berth/report-token\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"git alone", git, "<nil>"},
		{"git and http", git + http, "*reconciler.HTTPReporter"},
		{"sftp", sftp, "*reconciler.UploadReporter"},
		{"sftp and http", sftp + http, "reconciler.Reporters[*reconciler.UploadReporter *reconciler.HTTPReporter]"},
	}
	for _, tt := range tests {
		c, err := config.Parse("config.yaml", []byte("hostname: alpha\n"+tt.yaml))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		src, _, err := newSource(c)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := describeReporter(newReporter(c, src, nil)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func describeReporter(r reconciler.Reporter) string {
	rs, ok := r.(reconciler.Reporters)
	if !ok {
		return fmt.Sprintf("%T", r)
	}
	out := "reconciler.Reporters["
	for i, x := range rs {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%T", x)
	}
	return out + "]"
}
