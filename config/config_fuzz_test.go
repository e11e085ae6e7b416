package config

import (
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/hostname"
)

// FuzzParse feeds arbitrary YAML to Parse: it must never panic, every
// error must name the file, and an accepted configuration must satisfy
// the invariants the agent relies on.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"hostname: h\nsource:\n  git:\n    url: https://git.example.org/fleet.git\n",
		"hostname: h\nsource:\n  git:\n    url: ssh://git@h/f.git\n    ssh_key_file: /k\n    known_hosts_file: /kh\ntrust:\n  git:\n    allowed_signers: /a\n  max_age: 24h\n",
		"hostname: h\nsource:\n  sftp:\n    address: s:22\n    user: u\n    ssh_key_file: /k\n    known_hosts_file: /kh\ntrust:\n  sftp:\n    allowed_signers: /a\n",
		"hostname: h\nsource: {git: {url: 'file:///srv/fleet'}}\nschedule: {cron: '*/5 * * * *', jitter: 10s}\n",
		"&a [*a]", "hostname: [1, 2]", "source:\n  host_dir: ../../etc\n", "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if !hostname.Valid(c.Hostname) || (c.Source.Git == nil) == (c.Source.SFTP == nil) {
			t.Fatalf("accepted hostname %q with git %v and sftp %v", c.Hostname, c.Source.Git, c.Source.SFTP)
		}
		if dir := c.Expand(c.Source.HostDir); strings.HasPrefix(dir, "/") || strings.HasPrefix(dir, "..") {
			t.Fatalf("accepted host_dir %q outside the repository", dir)
		}
	})
}
