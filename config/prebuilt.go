package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Prebuilt configures systems built elsewhere and declared by a host
// directory's prebuilt.json (docs/prebuilt.md). Who may sign them is not
// berth's to say: Nix checks signatures against trusted-public-keys in
// the host's nix.conf.
type Prebuilt struct {
	// Substituters are the binary caches a prebuilt.json may name; one
	// that names none is fetched from all of them, in order. A cache the
	// repository names that is not listed here is refused.
	Substituters []string `yaml:"substituters"`
	// MatchFlake requires a flake beside prebuilt.json whose toplevel
	// evaluates to the declared path (an evaluation, no build).
	MatchFlake bool `yaml:"match_flake"`
}

func (c *Config) validatePrebuilt() error {
	for i, s := range c.Prebuilt.Substituters {
		if err := checkCacheURL(s); err != nil {
			return bad("prebuilt.substituters", "entry %d (%q): %v", i, s, err)
		}
	}
	return nil
}

// checkCacheURL accepts the store URLs `nix copy --from` reads binary
// caches from.
func checkCacheURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "http", "https", "s3", "file", "ssh", "ssh-ng":
	default:
		return fmt.Errorf("want an http, https, s3, file, ssh or ssh-ng store URL")
	}
	if u.User != nil && strings.Contains(u.User.String(), ":") {
		return fmt.Errorf("credentials do not belong in the URL: use a netrc file")
	}
	return nil
}
