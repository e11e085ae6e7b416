package gitsource

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/berth-nix/berth/internal/redact"
	"github.com/berth-nix/berth/internal/settings"
)

// Settings is the source.git section of the agent's configuration file:
// what an admin writes. The agent adds what it derives (host, directories,
// limits) with Apply. It holds paths to secrets, never secrets.
type Settings struct {
	URL    string `yaml:"url"`
	Branch string `yaml:"branch"`
	// TokenFile holds the HTTPS token; it is read again on every poll.
	TokenFile string `yaml:"token_file"`
	// Username goes with the token in HTTP basic auth.
	Username       string `yaml:"username"`
	SSHKeyFile     string `yaml:"ssh_key_file"`
	KnownHostsFile string `yaml:"known_hosts_file"`
	// AllowHistoryRewrite lets a head that does not descend from the last
	// applied commit through (a force-push).
	AllowHistoryRewrite bool `yaml:"allow_history_rewrite"`
}

// Validate fills the defaults of s and checks it. An error is a
// *settings.Error naming the key inside the section.
func (s *Settings) Validate() error {
	if s.Branch == "" {
		s.Branch = DefaultBranch
	}
	if s.Username == "" {
		s.Username = DefaultHTTPUser
	}
	if _, err := checkRemote(s.URL, s.TokenFile, s.SSHKeyFile, s.KnownHostsFile); err != nil {
		return err
	}
	if err := checkBranch(s.Branch); err != nil {
		return err
	}
	return settings.OptionalAbs(settings.Path{Key: "token_file", Value: s.TokenFile},
		settings.Path{Key: "ssh_key_file", Value: s.SSHKeyFile}, settings.Path{Key: "known_hosts_file", Value: s.KnownHostsFile})
}

// String describes s without any secret.
func (s Settings) String() string {
	return fmt.Sprintf("git %s (branch %s)", redactURL(s.URL), s.Branch)
}

// Apply returns c with the settings' fields filled in.
func (s Settings) Apply(c Config) Config {
	c.URL, c.Branch, c.TokenFile, c.HTTPUser = s.URL, s.Branch, s.TokenFile, s.Username
	c.SSHKeyFile, c.KnownHostsFile = s.SSHKeyFile, s.KnownHostsFile
	return c
}

// scpLike matches "user@host:path" and "host:path", git's short SSH form.
// The user may not contain ':' so that no password can hide in it.
var scpLike = regexp.MustCompile(`^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:[^@]+$`)

// checkRemote is the one rule for a remote URL and the credentials that
// go with it; it returns the URL's kind. Errors name the key.
func checkRemote(raw, tokenFile, sshKeyFile, knownHostsFile string) (string, error) {
	kind, err := urlKind(raw)
	if err != nil {
		return "", err
	}
	switch {
	case kind == kindSSH && sshKeyFile == "":
		return "", settings.Errorf("ssh_key_file", "is required for an ssh URL")
	case kind == kindSSH && knownHostsFile == "":
		return "", settings.Errorf("known_hosts_file", "is required for an ssh URL: berth never trusts a host key on first use")
	case kind != kindSSH && sshKeyFile != "":
		return "", settings.Errorf("ssh_key_file", "SSH key and known_hosts files apply only to SSH URLs, not %s", redactURL(raw))
	case kind != kindSSH && knownHostsFile != "":
		return "", settings.Errorf("known_hosts_file", "SSH key and known_hosts files apply only to SSH URLs, not %s", redactURL(raw))
	case kind != kindHTTP && tokenFile != "":
		return "", settings.Errorf("token_file", "a token file applies only to http(s) URLs, not %s", redactURL(raw))
	case tokenFile != "" && !settings.TokenTransportSafe(raw):
		return "", settings.Errorf("token_file", "%s: a token is sent in clear over http://; use https://, or a loopback address such as http://127.0.0.1", redactURL(raw))
	}
	return kind, nil
}

// urlKind classifies raw, refusing forms git could not use and
// credentials embedded in it.
func urlKind(raw string) (string, error) {
	if raw == "" {
		return "", settings.Errorf("url", "missing")
	}
	if !strings.Contains(raw, "://") {
		if scpLike.MatchString(raw) {
			return kindSSH, nil
		}
		return "", settings.Errorf("url", "%s: want https://, http://, ssh://, file:// or user@host:path", redactURL(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", settings.Errorf("url", "does not parse")
	}
	if _, ok := u.User.Password(); ok {
		return "", settings.Errorf("url", "%s: must not carry a password; put the token in token_file", redactURL(raw))
	}
	switch u.Scheme {
	case "https", "http":
		if u.User != nil {
			return "", settings.Errorf("url", "%s: must not carry a user; set username and token_file", redactURL(raw))
		}
		return kindHTTP, nil
	case "ssh":
		return kindSSH, nil
	case "file":
		return kindFile, nil
	}
	return "", settings.Errorf("url", "%s: unsupported scheme %q", redactURL(raw), u.Scheme)
}

func checkBranch(b string) error {
	if err := plumbing.NewBranchReferenceName(b).Validate(); err != nil {
		return settings.Errorf("branch", "%q: %v", b, err)
	}
	return nil
}

// redactURL strips a password from raw; what does not parse is not shown,
// since it might hold one.
func redactURL(raw string) string {
	if !strings.Contains(raw, "://") {
		if scpLike.MatchString(raw) {
			return raw
		}
		return "<invalid url>"
	}
	return redact.URL(raw)
}
