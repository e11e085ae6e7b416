package sftpsource

import (
	"context"
	"fmt"
	"net"
	"path"
	"time"

	"github.com/berth-nix/berth/source"
	"github.com/berth-nix/berth/source/tree"
)

// Defaults for the zero fields of Config.
const (
	DefaultPath      = "config"
	DefaultPort      = "22"
	DefaultTimeout   = 2 * time.Minute
	DefaultIOTimeout = 30 * time.Second
)

// Config says which SFTP server holds the host's configuration and where
// the agent keeps its copy. It holds paths to secrets, never secrets.
type Config struct {
	// Address is the server's "host:port"; a bare host means port 22.
	Address string
	// User is the host's account on the server, chrooted to its own
	// directory.
	User string
	// SSHKeyFile is the host's private key.
	SSHKeyFile string
	// KnownHostsFile pins the server's host key: an unknown or changed key
	// is refused, never trusted on first use.
	KnownHostsFile string
	// Path is the published configuration directory inside the chroot;
	// DefaultPath when empty.
	Path string
	// Host is this host's name; a manifest published for another host is
	// refused.
	Host string
	// StateDir holds the copy of the last fetched tree that spares
	// downloading unchanged files.
	StateDir string
	// StageDir is where artifacts are staged (see tree.Stage).
	StageDir string
	// Timeout bounds one Poll or Fetch; DefaultTimeout when zero.
	Timeout time.Duration
	// IOTimeout is how long connecting, or any request, may go without
	// the server sending a byte before the connection is given up as
	// dropped; DefaultIOTimeout when zero.
	IOTimeout time.Duration
	// Limits bound the published tree.
	Limits tree.Limits
	// AllowedSigners, when set, is the allowed_signers file whose keys
	// must sign every manifest (namespace berth-manifest): Fetch refuses
	// an unsigned manifest, one signed by another key, and one whose
	// serial is lower than one already accepted (a replay). It is read
	// again for every fetch.
	AllowedSigners string
	// Dial opens the TCP connection to Address; a net.Dialer when nil.
	// It lets a caller route or observe the traffic.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// withDefaults fills the zero fields that have defaults.
func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.IOTimeout <= 0 {
		c.IOTimeout = DefaultIOTimeout
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil && c.Address != "" {
		c.Address = net.JoinHostPort(c.Address, DefaultPort)
	}
	if c.Dial == nil {
		d := &net.Dialer{Timeout: c.IOTimeout}
		c.Dial = d.DialContext
	}
	return c
}

// Validate reports the first problem with c, naming the field.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := checkServer(c.Address, c.User, c.SSHKeyFile, c.KnownHostsFile, c.Path); err != nil {
		return fmt.Errorf("sftp source: %w", err)
	}
	if err := source.CheckLocal(c.Host, c.StateDir, c.StageDir); err != nil {
		return fmt.Errorf("sftp source: %w", err)
	}
	return nil
}

// String describes c; it holds no secret to hide.
func (c Config) String() string {
	return fmt.Sprintf("sftp{address=%s user=%s path=%s host=%s state=%s stage=%s ssh_key_file=%s known_hosts=%s timeout=%s}%s",
		c.Address, c.User, c.Path, c.Host, c.StateDir, c.StageDir, c.SSHKeyFile, c.KnownHostsFile, c.Timeout, signedOnly(c.AllowedSigners != ""))
}

// signedOnly marks the description of a source that requires signatures.
func signedOnly(required bool) string {
	if required {
		return " (signed revisions only)"
	}
	return ""
}

// remote is the path of rel inside the configuration directory.
func (c Config) remote(rel string) string { return path.Join(c.Path, rel) }
