// Package settings carries an error about one key of the agent's
// configuration file. Each backend validates its own section and names
// the key inside it; the file's reader puts the section in front and
// finds the line, so that every error names the file, the line and the
// whole key.
package settings

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"

	"github.com/berth-nix/berth/internal/redact"
)

// Error is a problem with the value of Key, a dotted path such as
// "source.git.url".
type Error struct {
	Key string
	Msg string
}

func (e *Error) Error() string { return e.Key + ": " + e.Msg }

// Errorf returns an *Error for key.
func Errorf(key, format string, args ...any) error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Under puts section in front of the key of a settings error; any other
// error becomes an error of the section itself. nil stays nil.
func Under(section string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return &Error{Key: section + "." + e.Key, Msg: e.Msg}
	}
	return &Error{Key: section, Msg: err.Error()}
}

// HostPort checks that addr, the value of key, is host:port, as a
// listener takes it.
func HostPort(key, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return Errorf(key, "must be host:port, got %q", addr)
	}
	return nil
}

// Abs checks that path, the value of key, is an absolute path, which an
// empty one is not.
func Abs(key, path string) error {
	if !filepath.IsAbs(path) {
		return Errorf(key, "must be an absolute path, got %q", path)
	}
	return nil
}

// Path is a key whose value is a file system path.
type Path struct{ Key, Value string }

// OptionalAbs checks that each of paths that is set is absolute.
func OptionalAbs(paths ...Path) error {
	for _, p := range paths {
		if p.Value != "" {
			if err := Abs(p.Key, p.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// HTTPURL checks that raw, the value of key, is an http:// or https://
// URL with a host and no credentials, which belong in a token file. An
// error shows raw redacted.
func HTTPURL(key, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return Errorf(key, "must be an http:// or https:// URL without credentials, got %q", redact.URL(raw))
	}
	return nil
}

// TokenTransportSafe reports whether a bearer token may travel to raw:
// over https, or over plain http to a loopback IP address written
// literally. A name such as "localhost" is not enough: /etc/hosts, which
// berth's own files tree may rewrite, decides where it leads.
func TokenTransportSafe(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return err == nil
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}
