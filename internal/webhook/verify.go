// Package webhook turns an authenticated push notification from a forge
// into "poll now". The request is never trusted for content: at most it
// names a branch, so that pushes elsewhere can be ignored; what gets
// applied is still decided by the source and its checks.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Forge names the scheme a request was authenticated with.
type Forge string

const (
	GitHub  Forge = "github"  // X-Hub-Signature-256: sha256=<hex HMAC of body>
	Forgejo Forge = "forgejo" // X-Forgejo-Signature: <hex HMAC of body>
	Gitea   Forge = "gitea"   // X-Gitea-Signature: <hex HMAC of body>
	GitLab  Forge = "gitlab"  // X-Gitlab-Token: <secret>
	Generic Forge = "generic" // X-Berth-Signature over "<X-Berth-Timestamp>.<body>"
)

// Header names of the generic scheme, which contrib/hooks/post-receive
// sends. Its signature covers a timestamp, so a captured request stops
// working after MaxSkew.
const (
	SignatureHeader = "X-Berth-Signature"
	TimestampHeader = "X-Berth-Timestamp"
	MaxSkew         = 5 * time.Minute
)

// ErrUnauthenticated is every failure to authenticate a request.
var ErrUnauthenticated = errors.New("webhook not authenticated")

// Verify authenticates a request by whichever scheme's header it carries,
// checked in the order GitHub, Forgejo, Gitea, GitLab, generic; only the
// first header present is judged, so a bad one is not rescued by another.
// Comparisons take constant time.
func Verify(h http.Header, body, secret []byte, now time.Time) (Forge, error) {
	if len(secret) == 0 {
		return "", fmt.Errorf("%w: no secret configured", ErrUnauthenticated)
	}
	switch forge := scheme(h); forge {
	case GitHub:
		v, ok := strings.CutPrefix(h.Get("X-Hub-Signature-256"), "sha256=")
		return GitHub, check(ok && macEqual(v, secret, body))
	case Forgejo:
		return Forgejo, check(macEqual(h.Get("X-Forgejo-Signature"), secret, body))
	case Gitea:
		return Gitea, check(macEqual(h.Get("X-Gitea-Signature"), secret, body))
	case GitLab:
		return GitLab, checkToken(h, secret)
	case Generic:
		return Generic, verifyGeneric(h, body, secret, now)
	}
	return "", fmt.Errorf("%w: no signature header", ErrUnauthenticated)
}

// scheme names the forge whose header h carries, in Verify's order; ""
// when it carries none.
func scheme(h http.Header) Forge {
	for _, s := range []struct {
		header string
		forge  Forge
	}{{"X-Hub-Signature-256", GitHub}, {"X-Forgejo-Signature", Forgejo}, {"X-Gitea-Signature", Gitea},
		{"X-Gitlab-Token", GitLab}, {SignatureHeader, Generic}} {
		if h.Get(s.header) != "" {
			return s.forge
		}
	}
	return ""
}

// precheck refuses, before the body is read, a request that cannot be
// authenticated whatever its body: one with no signature header, or with
// a GitLab token (which does not depend on the body) that is wrong.
func precheck(h http.Header, secret []byte) error {
	switch scheme(h) {
	case "":
		return fmt.Errorf("%w: no signature header", ErrUnauthenticated)
	case GitLab:
		return checkToken(h, secret)
	}
	return nil
}

func checkToken(h http.Header, secret []byte) error {
	return check(len(secret) > 0 && subtle.ConstantTimeCompare([]byte(h.Get("X-Gitlab-Token")), secret) == 1)
}

func verifyGeneric(h http.Header, body, secret []byte, now time.Time) error {
	ts := h.Get(TimestampHeader)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s missing or not unix seconds", ErrUnauthenticated, TimestampHeader)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("%w: timestamp %s is %v away from now", ErrUnauthenticated, ts, d.Round(time.Second))
	}
	v, ok := strings.CutPrefix(h.Get(SignatureHeader), "sha256=")
	msg := append([]byte(ts+"."), body...)
	return check(ok && macEqual(v, secret, msg))
}

// Sign returns the generic scheme's headers for body at now, as a sender
// computes them (the hub's tests and load generator send with it;
// contrib/hooks/post-receive does the same in shell).
func Sign(secret, body []byte, now time.Time) http.Header {
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set(TimestampHeader, ts)
	h.Set(SignatureHeader, "sha256="+hex.EncodeToString(mac(secret, append([]byte(ts+"."), body...))))
	return h
}

func mac(secret, msg []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(msg)
	return m.Sum(nil)
}

// macEqual compares a hex signature with the HMAC of msg.
func macEqual(sigHex string, secret, msg []byte) bool {
	sig, err := hex.DecodeString(strings.TrimSpace(sigHex))
	return err == nil && hmac.Equal(sig, mac(secret, msg))
}

func check(ok bool) error {
	if ok {
		return nil
	}
	return fmt.Errorf("%w: signature does not match", ErrUnauthenticated)
}

// LoadSecret reads a secret file; surrounding whitespace is not part of
// the secret. An empty secret is an error: it would sign anything.
func LoadSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	s := []byte(strings.TrimSpace(string(data)))
	if len(s) == 0 {
		return nil, fmt.Errorf("webhook secret %s is empty", path)
	}
	return s, nil
}
