// Package redact shows values that may carry secrets without them.
package redact

import "net/url"

// URL shows raw without its secrets: a password becomes "xxxxx", a
// query string, where tokens travel, becomes "?REDACTED", and a fragment
// is dropped. What does not parse is not shown at all, since it might
// hold one.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid url>"
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	u.Fragment, u.RawFragment = "", ""
	return u.Redacted()
}
