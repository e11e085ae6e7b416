package config

import (
	"strings"
	"testing"
	"time"
)

func TestTrust(t *testing.T) {
	const git = "source:\n  git:\n    url: https://git.example.org/fleet.git\n"
	const sftp = "source:\n  sftp:\n    address: a\n    user: u\n    ssh_key_file: /k\n    known_hosts_file: /kh\n"
	tests := []struct {
		name, doc, want string
	}{
		{"off", git, ""},
		{"git ssh", git + "trust:\n  git:\n    allowed_signers: /etc/berth/allowed_signers\n  max_age: 48h\n", ""},
		{"git openpgp", git + "trust:\n  git:\n    openpgp_keyring: /etc/berth/keys.asc\n", ""},
		{"sftp", sftp + "trust:\n  sftp:\n    allowed_signers: /etc/berth/allowed_signers\n", ""},
		{"relative", git + "trust:\n  git:\n    allowed_signers: allowed_signers\n", "berth.yaml:7: trust.git.allowed_signers: must be an absolute path"},
		{"git policy, sftp source", sftp + "trust:\n  git:\n    openpgp_keyring: /k.asc\n", "trust.git: applies to source.git"},
		{"sftp policy, git source", git + "trust:\n  sftp:\n    allowed_signers: /s\n", "trust.sftp.allowed_signers: applies to source.sftp"},
		{"relative signers", git + "trust:\n  git:\n    allowed_signers: signers\n", "trust.git.allowed_signers: must be an absolute path"},
		{"relative sftp signers", sftp + "trust:\n  sftp:\n    allowed_signers: signers\n", "trust.sftp.allowed_signers: must be an absolute path"},
		{"negative age", git + "trust:\n  max_age: -1h\n", "trust.max_age: must not be negative"},
		{"typo", git + "trust:\n  git:\n    allowed_signer: /s\n", "field allowed_signer not found"},
		{"encrypted files", git + "trust:\n  require_encrypted_files: [/, /etc/wireguard, \"/etc/*/*.key\"]\n", ""},
		{"encrypted files relative", git + "trust:\n  require_encrypted_files: [etc/wireguard]\n", "trust.require_encrypted_files: \"etc/wireguard\" must be an installed path"},
		{"encrypted files bad pattern", git + "trust:\n  require_encrypted_files: [\"/etc/[\"]\n", "trust.require_encrypted_files: \"/etc/[\" must be"},
		{"host key relative", git + "files:\n  host_key: ssh_host_ed25519_key\n", "files.host_key: must be an absolute path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("berth.yaml", []byte("hostname: laptop1\n"+tt.doc))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	c, err := Parse("berth.yaml", []byte("hostname: h\n"+git+"trust:\n  git:\n    allowed_signers: /a\n  max_age: 2h\n"))
	if err != nil || !c.Trust.Git.Signed() || c.Trust.MaxAge != 2*time.Hour {
		t.Errorf("got %+v, %v, want a signed git policy and max_age 2h", c.Trust, err)
	}
}
