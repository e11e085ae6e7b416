// Package hub is the admin's server: agents post their reports to it and
// hold an outbound event stream on which it says "poll now"; forge
// webhooks arrive at it; admins read the fleet on its page, its JSON API
// and the CLI. It never pushes a configuration or runs anything on a
// host. Every state change is written to the audit log with it.
package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/internal/webhook"
)

// Server serves the hub over one store.
type Server struct {
	cfg   *Config
	store store.Store
	log   *slog.Logger
	// Now is time.Now unless a test replaces it.
	Now func() time.Time

	fileKeys   []store.Key
	hostTokens map[string]string // hash of token → host
	secrets    [][]byte
	agents     Broker // "poll" events, by host
	page       Broker // changed host names, under ""
	metrics    *metrics
	rolls      rollouts
}

// New reads the secrets cfg names and returns a server over st. A
// missing or empty secret file is an error naming it.
func New(cfg *Config, st store.Store, log *slog.Logger) (*Server, error) {
	s := &Server{cfg: cfg, store: st, log: log, Now: time.Now, hostTokens: map[string]string{}}
	for _, k := range cfg.Keys {
		secret, err := readSecret("key "+k.Name, k.KeyFile)
		if err != nil {
			return nil, err
		}
		s.fileKeys = append(s.fileKeys, store.Key{Name: k.Name, Role: k.Role, Hash: hashSecret(secret)})
	}
	for host, h := range cfg.Hosts {
		token, err := readSecret("token of host "+host, h.TokenFile)
		if err != nil {
			return nil, err
		}
		if other, dup := s.hostTokens[hashSecret(token)]; dup {
			return nil, fmt.Errorf("hosts %s and %s have the same token: each host needs its own", other, host)
		}
		s.hostTokens[hashSecret(token)] = host
	}
	for _, f := range cfg.Webhook.SecretFiles {
		secret, err := webhook.LoadSecret(f)
		if err != nil {
			return nil, err
		}
		s.secrets = append(s.secrets, secret)
	}
	s.metrics = newMetrics(s)
	s.rolls.kick = make(chan struct{}, 1)
	return s, nil
}

// Handler routes every path the hub serves.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/reports", s.withHost(s.postReport))
	mux.Handle("GET /v1/events", s.withHost(s.events))
	mux.HandleFunc("POST /v1/webhook", s.forgeWebhook)
	mux.Handle("GET /v1/hosts", s.withRole(store.RoleRead, s.getHosts))
	mux.Handle("GET /v1/hosts/{host}", s.withRole(store.RoleRead, s.getHost))
	mux.Handle("POST /v1/trigger", s.withRole(store.RoleOperate, s.postTrigger))
	mux.Handle("GET /v1/keys", s.withRole(store.RoleAdmin, s.getKeys))
	mux.Handle("POST /v1/keys", s.withRole(store.RoleAdmin, s.postKey))
	mux.Handle("DELETE /v1/keys/{name}", s.withRole(store.RoleAdmin, s.deleteKey))
	mux.Handle("GET /v1/audit", s.withRole(store.RoleAdmin, s.getAudit))
	mux.Handle("GET /v1/live", s.withRole(store.RoleRead, s.live))
	mux.Handle("GET /metrics", s.withRole(store.RoleRead, s.metrics.serve))
	s.rolloutRoutes(mux)
	s.pageRoutes(mux)
	return mux
}

// Run prunes the audit log to the retention period every hour, and
// evaluates the rollouts, until ctx ends; it returns once both loops
// have.
func (s *Server) Run(ctx context.Context) {
	rollouts := make(chan struct{})
	go func() {
		defer close(rollouts)
		s.runRollouts(ctx)
	}()
	defer func() { <-rollouts }()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		s.prune(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) prune(ctx context.Context) {
	now := s.Now()
	e := store.Entry{At: now, Actor: "hub", Action: "audit.prune"}
	if _, err := s.store.Prune(ctx, now.Add(-s.cfg.AuditRetention), e); err != nil {
		s.log.Error("cannot prune the audit log", "err", err)
	}
}

// audit records an entry that goes with no state change; a failure is
// logged, as the request has been answered already or is refused anyway.
func (s *Server) audit(ctx context.Context, actor, action, target, detail string) {
	e := store.Entry{At: s.Now(), Actor: actor, Action: action, Target: target, Detail: detail}
	if err := s.store.Record(ctx, e); err != nil {
		s.log.Error("cannot write the audit log", "action", action, "err", err)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
