package gitsource

import (
	"fmt"
	"io/fs"
	"time"

	"github.com/berth-nix/berth/source"
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
	// MaxObjectBytes bounds one object, and one delta's result, that a
	// fetched pack may declare; DefaultMaxObjectBytes when zero.
	MaxObjectBytes int64
	// Signing, when set, says whose signatures the head commit must carry:
	// Fetch refuses any other head before staging it (verify.go).
	Signing *Signing
}

// transport kinds a URL can name.
const (
	kindHTTP = "http"
	kindSSH  = "ssh"
	kindFile = "file"
)

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
	if _, err := checkRemote(c.URL, c.TokenFile, c.SSHKeyFile, c.KnownHostsFile); err != nil {
		return fmt.Errorf("git source: %w", err)
	}
	for _, check := range []func() error{c.checkLocal, c.checkNames} {
		if err := check(); err != nil {
			return fmt.Errorf("git source: %w", err)
		}
	}
	return nil
}

func (c Config) checkNames() error {
	if err := checkBranch(c.Branch); err != nil {
		return err
	}
	if !fs.ValidPath(c.HostDir) || c.HostDir == "." {
		return fmt.Errorf("host dir %q: want a relative slash path inside the repository", c.HostDir)
	}
	return nil
}

func (c Config) checkLocal() error { return source.CheckLocal(c.Host, c.StateDir, c.StageDir) }

// String describes c without any secret: the URL is redacted and only the
// paths of credential files are shown.
func (c Config) String() string {
	s := fmt.Sprintf("git{url=%s branch=%s host=%s dir=%s state=%s stage=%s token_file=%s ssh_key_file=%s known_hosts=%s timeout=%s}",
		redactURL(c.URL), c.Branch, c.Host, c.HostDir, c.StateDir, c.StageDir,
		c.TokenFile, c.SSHKeyFile, c.KnownHostsFile, c.Timeout)
	if c.Signing != nil {
		s += " (signed revisions only)"
	}
	return s
}

// GoString keeps %#v from printing fields String would hide.
func (c Config) GoString() string { return c.String() }
