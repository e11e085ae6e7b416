package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/berth-nix/berth/hub/store"
)

// roleRank orders the roles; 0 is not a role.
func roleRank(role string) int {
	switch role {
	case store.RoleRead:
		return 1
	case store.RoleOperate:
		return 2
	case store.RoleAdmin:
		return 3
	}
	return 0
}

// hashSecret is how keys and tokens are compared and stored.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	return hex.EncodeToString(sum[:])
}

// NewKeySecret makes a fresh API key secret.
func NewKeySecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "berth_" + hex.EncodeToString(b)
}

// readSecret reads a secret file; an empty one is an error.
func readSecret(what, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", fmt.Errorf("%s: %s is empty", what, path)
	}
	return s, nil
}

// KeyCookie carries the API key of a browser that logged in to the page.
const KeyCookie = "berth_key"

// bearer is the credential a request presents: the Authorization
// header's bearer token, else the page's cookie.
func bearer(r *http.Request) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	if c, err := r.Cookie(KeyCookie); err == nil {
		return c.Value
	}
	return ""
}

// caller is who made an authenticated request.
type caller struct {
	name string // "key:<name>"
	role string
}

// lookupKey finds the API key whose secret is presented.
func (s *Server) lookupKey(ctx context.Context, secret string) (caller, bool) {
	if secret == "" {
		return caller{}, false
	}
	h := hashSecret(secret)
	for _, k := range s.fileKeys {
		if k.Hash == h {
			return caller{"key:" + k.Name, k.Role}, true
		}
	}
	keys, err := s.store.Keys(ctx)
	if err != nil {
		s.log.Error("cannot read API keys", "err", err)
		return caller{}, false
	}
	for _, k := range keys {
		if k.Hash == h {
			return caller{"key:" + k.Name, k.Role}, true
		}
	}
	return caller{}, false
}

// withRole serves h to callers whose key has at least role; others get
// 401 (no or unknown key) or 403 (too weak a role), and an audit entry.
func (s *Server) withRole(role string, h func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.lookupKey(r.Context(), bearer(r))
		switch {
		case !ok:
			s.audit(r.Context(), "anonymous", "auth.denied", r.URL.Path, "no valid API key from "+r.RemoteAddr)
			s.unauthorized(w, r)
		case roleRank(c.role) < roleRank(role):
			s.audit(r.Context(), c.name, "auth.forbidden", r.URL.Path, fmt.Sprintf("role %s, needs %s", c.role, role))
			httpError(w, http.StatusForbidden, "this key's role is "+c.role+"; this needs "+role)
		default:
			h(w, r, c)
		}
	}
}

// unauthorized sends a browser to the login form and an API client a 401.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="berth hub"`)
	httpError(w, http.StatusUnauthorized, "an API key is required (Authorization: Bearer <key>)")
}

// withHost serves h to an agent presenting its host's token.
func (s *Server) withHost(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host, ok := s.hostTokens[hashSecret(bearer(r))]
		if !ok || bearer(r) == "" || !s.clientCertFor(r, host) {
			s.audit(r.Context(), "anonymous", "auth.denied", r.URL.Path, "no valid host token from "+r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="berth hub"`)
			httpError(w, http.StatusUnauthorized, "a host token (and, when the hub asks, the host's client certificate) is required")
			return
		}
		h(w, r, host)
	}
}
