package gitsource

import (
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/berth-nix/berth/source/tree"
)

// Defaults for the zero fields of Config.
const (
	DefaultBranch   = "main"
	DefaultHTTPUser = "berth"
	DefaultTimeout  = 2 * time.Minute
)

// Config says where a host's configuration lives in git and where the
// agent keeps its copy. It holds paths to secrets, never secrets: String
// prints it safely.
type Config struct {
	// URL of the remote: https://, http://, ssh://, scp-like
	// "user@host:path", or file://. It must not carry a password. With a
	// TokenFile, http:// is accepted only to a loopback IP address.
	URL string
	// Branch to follow; DefaultBranch when empty.
	Branch string
	// Host is the host name, reported in artifacts.
	Host string
	// HostDir is the host's directory in the repository, already expanded
	// (e.g. "hosts/laptop1").
	HostDir string
	// StateDir holds the agent's bare repository.
	StateDir string
	// StageDir is where artifacts are staged (see tree.Stage).
	StageDir string
	// TokenFile holds the HTTPS token, read on every Poll and Fetch so a
	// rotated token is picked up. Empty for public repositories.
	TokenFile string
	// HTTPUser is the basic-auth user sent with the token;
	// DefaultHTTPUser when empty.
	HTTPUser string
	// SSHKeyFile is the private deploy key for ssh:// and scp-like URLs.
	SSHKeyFile string
	// KnownHostsFile pins the server's host key for SSH URLs; an unknown
	// or changed key is refused.
	KnownHostsFile string
	// Timeout bounds every network operation; DefaultTimeout when zero.
	Timeout time.Duration
	// Limits bound the resolved host directory.
	Limits tree.Limits
	// MaxFetchBytes bounds how much one fetch may add to the local
	// repository; DefaultMaxFetchBytes when zero.
	MaxFetchBytes int64
}

// transport kinds a URL can name.
const (
	kindHTTP = "http"
	kindSSH  = "ssh"
	kindFile = "file"
)

// scpLike matches "user@host:path" and "host:path", git's short SSH form.
// The user may not contain ':' so that no password can hide in it.
var scpLike = regexp.MustCompile(`^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:[^@]+$`)

// urlKind classifies raw, refusing forms git could not use and
// credentials embedded in it.
func urlKind(raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("url: missing")
	}
	if !strings.Contains(raw, "://") {
		if scpLike.MatchString(raw) {
			return kindSSH, nil
		}
		return "", fmt.Errorf("url %s: want https://, http://, ssh://, file:// or user@host:path", redactURL(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("url: does not parse")
	}
	if _, ok := u.User.Password(); ok {
		return "", fmt.Errorf("url %s: must not carry a password; put the token in the token file", u.Redacted())
	}
	switch u.Scheme {
	case "https", "http":
		return kindHTTP, nil
	case "ssh":
		return kindSSH, nil
	case "file":
		return kindFile, nil
	}
	return "", fmt.Errorf("url %s: unsupported scheme %q", u.Redacted(), u.Scheme)
}

// withDefaults fills the zero fields that have defaults.
func (c Config) withDefaults() Config {
	if c.Branch == "" {
		c.Branch = DefaultBranch
	}
	if c.HTTPUser == "" {
		c.HTTPUser = DefaultHTTPUser
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// Validate reports the first problem with c, naming the field.
func (c Config) Validate() error {
	c = c.withDefaults()
	kind, err := urlKind(c.URL)
	if err != nil {
		return fmt.Errorf("git source: %w", err)
	}
	for _, check := range []func() error{
		func() error { return c.checkNames() },
		func() error { return c.checkDirs() },
		func() error { return c.checkCredentials(kind) },
	} {
		if err := check(); err != nil {
			return fmt.Errorf("git source: %w", err)
		}
	}
	return nil
}

func (c Config) checkNames() error {
	if c.Host == "" {
		return fmt.Errorf("host: missing")
	}
	if err := plumbing.NewBranchReferenceName(c.Branch).Validate(); err != nil {
		return fmt.Errorf("branch %q: %v", c.Branch, err)
	}
	if !fs.ValidPath(c.HostDir) || c.HostDir == "." {
		return fmt.Errorf("host dir %q: want a relative slash path inside the repository", c.HostDir)
	}
	return nil
}

func (c Config) checkDirs() error {
	for _, d := range []struct{ name, path string }{
		{"state dir", c.StateDir}, {"stage dir", c.StageDir},
	} {
		if !filepath.IsAbs(d.path) {
			return fmt.Errorf("%s %q: want an absolute path", d.name, d.path)
		}
	}
	return nil
}

func (c Config) checkCredentials(kind string) error {
	switch {
	case kind == kindSSH && (c.SSHKeyFile == "" || c.KnownHostsFile == ""):
		return fmt.Errorf("url %s: SSH needs both an SSH key file and a known_hosts file", redactURL(c.URL))
	case kind != kindSSH && (c.SSHKeyFile != "" || c.KnownHostsFile != ""):
		return fmt.Errorf("url %s: SSH key and known_hosts files apply only to SSH URLs", redactURL(c.URL))
	case kind != kindHTTP && c.TokenFile != "":
		return fmt.Errorf("url %s: a token file applies only to http(s) URLs", redactURL(c.URL))
	case c.TokenFile != "" && !tokenTransportSafe(c.URL):
		return fmt.Errorf("url %s: a token is sent in clear over http://; use https://, or a loopback address such as http://127.0.0.1", redactURL(c.URL))
	}
	return nil
}

// tokenTransportSafe reports whether a token may travel to raw: over
// https, or over plain http to a loopback IP address written literally.
// A name such as "localhost" is not enough: /etc/hosts, which berth's own
// files tree may rewrite, decides where it leads.
func tokenTransportSafe(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return err == nil
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// String describes c without any secret: the URL is redacted and only the
// paths of credential files are shown.
func (c Config) String() string {
	return fmt.Sprintf("git{url=%s branch=%s host=%s dir=%s state=%s stage=%s token_file=%s ssh_key_file=%s known_hosts=%s timeout=%s}",
		redactURL(c.URL), c.Branch, c.Host, c.HostDir, c.StateDir, c.StageDir,
		c.TokenFile, c.SSHKeyFile, c.KnownHostsFile, c.Timeout)
}

// GoString keeps %#v from printing fields String would hide.
func (c Config) GoString() string { return c.String() }

// redactURL strips a password from raw; what does not parse is not shown,
// since it might hold one.
func redactURL(raw string) string {
	if !strings.Contains(raw, "://") {
		if scpLike.MatchString(raw) {
			return raw
		}
		return "<invalid url>"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid url>"
	}
	return u.Redacted()
}
