package verify

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// AllowedSigners is an allowed_signers file as OpenSSH's ssh-keygen -Y and
// git's gpg.ssh.allowedSignersFile read it: one trusted key per line,
//
//	principals [options] keytype base64-key [comment]
//
// where principals is a comma-separated list naming the key's owner and
// options may be namespaces="git,...", valid-after="YYYYMMDD[HHMM[SS]][Z]"
// and valid-before="...". Blank lines and lines starting with # are
// ignored. Certificate authorities (cert-authority) are not supported.
type AllowedSigners struct {
	// Name is the file the entries came from, for errors.
	Name    string
	Entries []AllowedSigner
}

// AllowedSigner is one line of an allowed_signers file.
type AllowedSigner struct {
	Line       int
	Principals string
	Key        ssh.PublicKey
	// Namespaces is nil when the line allows every namespace.
	Namespaces  []string
	ValidAfter  time.Time
	ValidBefore time.Time
}

// LoadAllowedSigners reads and parses the file at name.
func LoadAllowedSigners(name string) (*AllowedSigners, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return ParseAllowedSigners(name, data)
}

// ParseAllowedSigners parses data, named name in errors. A line that does
// not parse is an error naming name and the line: a trust file is never
// half-read.
func ParseAllowedSigners(name string, data []byte) (*AllowedSigners, error) {
	a := &AllowedSigners{Name: name}
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		e, err := parseSignerLine(string(line))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
		}
		e.Line = i + 1
		a.Entries = append(a.Entries, e)
	}
	if len(a.Entries) == 0 {
		return nil, fmt.Errorf("%s: no keys: a signing policy with no trusted key would refuse everything", name)
	}
	return a, nil
}

func parseSignerLine(line string) (AllowedSigner, error) {
	principals, rest, err := firstField(line)
	if err != nil {
		return AllowedSigner{}, err
	}
	key, _, opts, _, err := ssh.ParseAuthorizedKey([]byte(rest))
	if err != nil {
		return AllowedSigner{}, fmt.Errorf("principals %q: key does not parse: %v", principals, err)
	}
	e := AllowedSigner{Principals: principals, Key: key}
	for _, o := range opts {
		if err := e.setOption(o); err != nil {
			return AllowedSigner{}, fmt.Errorf("principals %q: %w", principals, err)
		}
	}
	return e, nil
}

// firstField splits off the principals, which may be double-quoted.
func firstField(line string) (string, string, error) {
	if strings.HasPrefix(line, `"`) {
		end := strings.Index(line[1:], `"`)
		if end < 0 {
			return "", "", fmt.Errorf("unterminated quote in principals")
		}
		principals := line[1 : end+1]
		if strings.TrimSpace(principals) == "" {
			return "", "", fmt.Errorf("empty principals: name who may sign with the key")
		}
		return principals, strings.TrimSpace(line[end+2:]), nil
	}
	i := strings.IndexAny(line, " \t")
	if i <= 0 {
		return "", "", fmt.Errorf("want: principals [options] keytype key")
	}
	return line[:i], strings.TrimSpace(line[i:]), nil
}

func (e *AllowedSigner) setOption(o string) error {
	k, v, _ := strings.Cut(o, "=")
	v = strings.Trim(v, `"`)
	var err error
	switch strings.ToLower(k) {
	case "namespaces":
		e.Namespaces = strings.Split(v, ",")
	case "valid-after":
		e.ValidAfter, err = parseSignerTime(v)
	case "valid-before":
		e.ValidBefore, err = parseSignerTime(v)
	case "cert-authority":
		return fmt.Errorf("cert-authority is not supported: list the signing keys themselves")
	default:
		return fmt.Errorf("unknown option %q", k)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", k, err)
	}
	return nil
}

// parseSignerTime reads YYYYMMDD[HHMM[SS]], in local time unless it ends
// in Z, as ssh-keygen does.
func parseSignerTime(v string) (time.Time, error) {
	loc := time.Local
	if s, ok := strings.CutSuffix(v, "Z"); ok {
		v, loc = s, time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(v)]
	if !ok {
		return time.Time{}, fmt.Errorf("%q: want YYYYMMDD[HHMM[SS]][Z]", v)
	}
	return time.ParseInLocation(layout, v, loc)
}

// Find returns the entry trusting key for namespace at time at, or an
// error saying why none does.
func (a *AllowedSigners) Find(key ssh.PublicKey, namespace string, at time.Time) (*AllowedSigner, error) {
	var why string
	for i := range a.Entries {
		e := &a.Entries[i]
		if !bytes.Equal(e.Key.Marshal(), key.Marshal()) {
			continue
		}
		switch {
		case !e.allows(namespace):
			why = fmt.Sprintf("line %d does not allow namespace %q", e.Line, namespace)
		case !e.ValidAfter.IsZero() && at.Before(e.ValidAfter):
			why = fmt.Sprintf("line %d is valid only after %s", e.Line, e.ValidAfter.Format(time.RFC3339))
		case !e.ValidBefore.IsZero() && !at.Before(e.ValidBefore):
			why = fmt.Sprintf("line %d expired at %s", e.Line, e.ValidBefore.Format(time.RFC3339))
		default:
			return e, nil
		}
	}
	if why == "" {
		why = "key not listed"
	}
	return nil, fmt.Errorf("%s: %s", a.Name, why)
}

// allows reports whether the line's namespaces admit namespace, by
// OpenSSH's pattern-list rules (sshsig.c with match.c): the list is split
// at commas with no trimming; a pattern may use * (any run of characters)
// and ? (one character) and is otherwise compared byte by byte; a pattern
// starting with ! that matches refuses the namespace whatever else
// matches; otherwise some plain pattern must match. A pattern of 1023
// bytes or more makes the whole list match nothing, as in OpenSSH.
func (e *AllowedSigner) allows(namespace string) bool {
	if e.Namespaces == nil {
		return true
	}
	positive := false
	for _, pat := range e.Namespaces {
		negated := strings.HasPrefix(pat, "!")
		if negated {
			pat = pat[1:]
		}
		if len(pat) >= maxPatternLen {
			return false
		}
		if !matchPattern(namespace, pat) {
			continue
		}
		if negated {
			return false
		}
		positive = true
	}
	return positive
}

// maxPatternLen is the length from which OpenSSH gives up on a pattern.
const maxPatternLen = 1023

// matchPattern reports whether s matches pat, where * matches any run of
// bytes and ? any one byte; nothing else is special.
func matchPattern(s, pat string) bool {
	for {
		if pat == "" {
			return s == ""
		}
		if pat[0] == '*' {
			pat = strings.TrimLeft(pat, "*")
			for i := 0; i <= len(s); i++ {
				if matchPattern(s[i:], pat) {
					return true
				}
			}
			return false
		}
		if s == "" || (pat[0] != '?' && pat[0] != s[0]) {
			return false
		}
		s, pat = s[1:], pat[1:]
	}
}
