package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-nix/berth/hub/store"
)

// KeyInfo is an API key as GET /v1/keys lists it (never its secret).
type KeyInfo struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Created time.Time `json:"created,omitzero"`
	// Source is "file" for keys from the configuration file, "database"
	// for keys made with berth hub keys add.
	Source string `json:"source"`
}

// NewKey is the answer to POST /v1/keys: the secret, shown only once.
type NewKey struct {
	KeyInfo
	Secret string `json:"secret"`
}

func (s *Server) getKeys(w http.ResponseWriter, r *http.Request, _ caller) {
	out := []KeyInfo{}
	for _, k := range s.fileKeys {
		out = append(out, KeyInfo{Name: k.Name, Role: k.Role, Source: "file"})
	}
	keys, err := s.store.Keys(r.Context())
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	for _, k := range keys {
		out = append(out, KeyInfo{Name: k.Name, Role: k.Role, Created: k.Created, Source: "database"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

func (s *Server) postKey(w http.ResponseWriter, r *http.Request, c caller) {
	var req struct{ Name, Role string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, `body must be {"name": ..., "role": ...}`)
		return
	}
	if !nameRE.MatchString(req.Name) || roleRank(req.Role) == 0 {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("name %q must be letters, digits, . _ -; role %q must be read, operate or admin", req.Name, req.Role))
		return
	}
	for _, k := range s.fileKeys {
		if k.Name == req.Name {
			httpError(w, http.StatusConflict, "key "+req.Name+" is configured in the hub's file")
			return
		}
	}
	secret, now := NewKeySecret(), s.Now()
	k := store.Key{Name: req.Name, Role: req.Role, Hash: hashSecret(secret), Created: now}
	e := store.Entry{At: now, Actor: c.name, Action: "key.add", Target: req.Name, Detail: "role " + req.Role}
	if err := s.store.PutKey(r.Context(), k, e); err != nil {
		httpError(w, http.StatusConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, NewKey{KeyInfo{Name: k.Name, Role: k.Role, Created: now, Source: "database"}, secret})
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request, c caller) {
	name := r.PathValue("name")
	e := store.Entry{At: s.Now(), Actor: c.name, Action: "key.delete", Target: name}
	err := s.store.DeleteKey(r.Context(), name, e)
	switch {
	case errors.Is(err, store.ErrNotFound):
		httpError(w, http.StatusNotFound, "no key "+name+" in the database (keys from the file are removed there)")
	case err != nil:
		httpError(w, http.StatusServiceUnavailable, err.Error())
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// getAudit answers ?since=RFC3339|duration&action=&target=&limit=.
func (s *Server) getAudit(w http.ResponseWriter, r *http.Request, _ caller) {
	q := store.Query{Action: r.URL.Query().Get("action"), Target: r.URL.Query().Get("target")}
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := parseSince(v, s.Now())
		if err != nil {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		q.Since = t
	}
	q.Limit, _ = strconv.Atoi(r.URL.Query().Get("limit"))
	entries, err := s.store.Audit(r.Context(), q)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if entries == nil {
		entries = []store.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

// parseSince reads an RFC 3339 time or a duration back from now.
func parseSince(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Errorf("since %q is neither a duration (24h) nor an RFC 3339 time", v)
	}
	return t, nil
}
