// Package prebuilt is the format of prebuilt.json, the file in a host
// directory that declares a system built elsewhere: `berth build-fleet`
// writes it on the admin side, the agent's activation reads it.
package prebuilt

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// File is the file in a host directory that declares a system
// built elsewhere, e.g.
//
//	{"toplevel": "/nix/store/…-nixos-system-laptop1-24.05",
//	 "substituters": ["https://cache.example.org"]}
//
// substituters is optional. `berth build-fleet` writes this file.
const File = "prebuilt.json"

// maxDeclaration bounds the size of File.
const maxDeclaration = 64 << 10

// Declaration is the content of File.
type Declaration struct {
	// Toplevel is the system's store path.
	Toplevel string `json:"toplevel"`
	// Substituters are the binary caches to fetch it from; each must be
	// allowed by the host's configuration.
	Substituters []string `json:"substituters,omitempty"`
}

// Read reads flakeDir/File. It returns nil and no
// error when there is none; a file that cannot be used is Stalling, named
// by file and field.
func Read(flakeDir string) (*Declaration, error) {
	data, err := readSmall(filepath.Join(flakeDir, File))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fault.Stallingf("%s: %w", File, err)
	}
	return Parse(data)
}

// Parse decodes and checks the content of File.
// Unknown fields are refused, so that a misspelt field is not ignored.
func Parse(data []byte) (*Declaration, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Declaration
	if err := dec.Decode(&d); err != nil {
		return nil, fault.Stallingf("%s: %w", File, err)
	}
	if dec.More() {
		return nil, fault.Stallingf("%s: more than one JSON value", File)
	}
	if !nixos.IsStorePath(d.Toplevel) {
		return nil, fault.Stallingf("%s: toplevel: %q is not a store path (/nix/store/<hash>-<name>)", File, d.Toplevel)
	}
	for i, s := range d.Substituters {
		if NormalCache(s) == "" {
			return nil, fault.Stallingf("%s: substituters[%d]: empty", File, i)
		}
	}
	return &d, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDeclaration+1))
	if err == nil && len(data) > maxDeclaration {
		err = errors.New("larger than 64 KiB")
	}
	return data, err
}

// CheckCacheURL accepts the store URLs `nix copy --from` reads binary
// caches from, without a password in them.
func CheckCacheURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("does not parse as a URL")
	}
	switch u.Scheme {
	case "http", "https", "s3", "file", "ssh", "ssh-ng":
	default:
		return errors.New("want an http, https, s3, file, ssh or ssh-ng store URL")
	}
	if _, ok := u.User.Password(); ok {
		return errors.New("credentials do not belong in the URL: use a netrc file")
	}
	return nil
}

// NormalCache lets "https://c.example/" and "https://c.example" match.
func NormalCache(u string) string { return strings.TrimRight(strings.TrimSpace(u), "/") }
