package config

import (
	"strings"
	"testing"
)

func TestSFTPSource(t *testing.T) {
	const keys = "\n    ssh_key_file: /etc/berth/id_ed25519\n    known_hosts_file: /etc/berth/known_hosts"
	tests := []struct {
		name, source, want string
	}{
		{"minimal", "sftp:\n    address: sftp.example.org\n    user: laptop1" + keys, ""},
		{"with port and path", "sftp:\n    address: 10.0.0.1:2222\n    user: laptop1\n    path: pub" + keys, ""},
		{"both", "git:\n    url: https://x/y.git\n  sftp:\n    address: a\n    user: u" + keys, "source.sftp: set either"},
		{"none", "timeout: 1m", "source: no source configured"},
		{"no address", "sftp:\n    user: u" + keys, "source.sftp.address: is required"},
		{"no user", "sftp:\n    address: a" + keys, "source.sftp.user: is required"},
		{"chroot root", "sftp:\n    address: a\n    user: u\n    path: /" + keys, "source.sftp.path"},
		{"no known_hosts", "sftp:\n    address: a\n    user: u\n    ssh_key_file: /k", "source.sftp.known_hosts_file"},
		{"relative key", "sftp:\n    address: a\n    user: u\n    ssh_key_file: k\n    known_hosts_file: /kh", "source.sftp.ssh_key_file"},
		{"unknown key", "sftp:\n    address: a\n    url: x", "field url not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("berth.yaml", []byte("hostname: laptop1\nsource:\n  "+tt.source+"\n"))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				if c.Source.SFTP.Path != "config" && c.Source.SFTP.Path != "pub" {
					t.Errorf("got path %q, want the default config or the one set", c.Source.SFTP.Path)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
