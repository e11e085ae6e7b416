package control

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-nix/berth/reconciler"
)

// Server serves the control API on a listener from Listen.
type Server struct {
	Backend Backend
	// Group may read; its members are looked up when Serve starts.
	Group string
	Log   *slog.Logger

	gid int
	ctx context.Context
}

// Serve answers requests until ctx ends. A run asked for through the API
// belongs to the agent, not to the client: it goes on if the client goes
// away, and stops only with ctx.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.gid, s.ctx = lookupGID(s.Group), ctx
	srv := &http.Server{Handler: s.routes(), ConnContext: withPeer, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", s.read(s.status))
	mux.HandleFunc("GET /v1/history", s.read(s.history))
	mux.HandleFunc("POST /v1/trigger", s.write(s.trigger))
	mux.HandleFunc("POST /v1/pause", s.write(s.pause))
	mux.HandleFunc("POST /v1/postpone", s.read(s.postpone))
	mux.HandleFunc("POST /v1/resume", s.write(s.resume))
	mux.HandleFunc("POST /v1/run", s.write(s.run))
	return mux
}

// read lets root and members of the control group through.
func (s *Server) read(h func(http.ResponseWriter, *http.Request, Peer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := peerFrom(r.Context())
		if !ok || (p.UID != 0 && !p.inGroup(s.gid)) {
			s.deny(w, p, "reading the agent's status needs root or group "+s.Group)
			return
		}
		h(w, r, p)
	}
}

// write lets only root through.
func (s *Server) write(h func(http.ResponseWriter, *http.Request, Peer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := peerFrom(r.Context())
		if !ok || p.UID != 0 {
			s.deny(w, p, "changing the agent needs root")
			return
		}
		s.log().Info("control request", "path", r.URL.Path, "query", r.URL.RawQuery, "peer", p.String())
		h(w, r, p)
	}
}

func (s *Server) deny(w http.ResponseWriter, p Peer, msg string) {
	s.log().Warn("control request denied", "peer", p.String())
	writeError(w, http.StatusForbidden, msg)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, _ Peer) {
	st, err := s.Backend.Status(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, _ Peer) {
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "limit: "+err.Error())
			return
		}
		limit = n
	}
	atts, err := s.Backend.History(limit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if atts == nil {
		atts = atts[:0:0]
	}
	writeJSON(w, http.StatusOK, atts)
}

func (s *Server) trigger(w http.ResponseWriter, _ *http.Request, _ Peer) {
	err := s.Backend.Trigger("cli")
	var pe *PausedError
	switch {
	case errors.As(err, &pe):
		writeError(w, http.StatusConflict, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusAccepted, map[string]string{"queued": "reconcile"})
	}
}

// forParam reads the optional ?for= duration; false means a bad request
// was answered.
func forParam(w http.ResponseWriter, r *http.Request) (time.Duration, bool) {
	v := r.URL.Query().Get("for")
	if v == "" {
		return 0, true
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		writeError(w, http.StatusBadRequest, "for: want a positive duration such as 2h, got "+strconv.Quote(v))
		return 0, false
	}
	return d, true
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request, p Peer) {
	d, ok := forParam(w, r)
	if !ok {
		return
	}
	pause, err := s.Backend.Pause(d, "uid "+strconv.Itoa(p.UID))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, pause)
}

// postpone is open to the control group: the person at the laptop may
// hold an update once, for a bounded time.
func (s *Server) postpone(w http.ResponseWriter, r *http.Request, p Peer) {
	d, ok := forParam(w, r)
	if !ok {
		return
	}
	s.log().Info("control request", "path", r.URL.Path, "query", r.URL.RawQuery, "peer", p.String())
	pause, err := s.Backend.Postpone(d, p.Name())
	switch {
	case errors.Is(err, reconciler.ErrPostponeRefused):
		writeError(w, http.StatusConflict, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, pause)
	}
}

func (s *Server) resume(w http.ResponseWriter, _ *http.Request, _ Peer) {
	if err := s.Backend.Resume(); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"resumed": "reconcile queued"})
}

func (s *Server) run(w http.ResponseWriter, r *http.Request, _ Peer) {
	retry := r.URL.Query().Get("retry")
	rep := s.Backend.Run(s.ctx, retry == "1" || retry == "true")
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
