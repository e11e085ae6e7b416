package webhook

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Handler answers webhook requests. A request is read up to MaxBody,
// authenticated (401 and nothing else happens when that fails), filtered
// by event and branch, and turned into at most one Trigger per
// MinInterval: requests in between are folded into one trigger at the end
// of the interval, so a flood causes at most one queued reconcile and the
// last push is never lost.
type Handler struct {
	Secret  []byte
	MaxBody int64
	// Branch, when set, ignores pushes that name another branch.
	Branch      string
	MinInterval time.Duration
	// Trigger asks the agent to reconcile now (reconciler.Agent.Trigger).
	Trigger func(reason string)
	Log     *slog.Logger
	// Now is time.Now unless a test replaces it.
	Now func() time.Time

	mu       sync.Mutex
	last     time.Time
	pending  bool
	refusals refusalLog
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	// What can be judged from the headers alone is judged before a byte
	// of the body is read: no signature at all, a wrong GitLab token, a
	// declared length over the limit.
	// The connection is closed after such an answer, so that the server
	// need not read the body it declined either.
	if err := precheck(r.Header, h.Secret); err != nil {
		w.Header().Set("Connection", "close")
		h.refuse(w, r, err)
		return
	}
	if r.ContentLength > h.MaxBody {
		w.Header().Set("Connection", "close")
		reply(w, http.StatusRequestEntityTooLarge, "body larger than the configured limit")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		reply(w, http.StatusRequestEntityTooLarge, "body larger than the configured limit")
		return
	}
	if err != nil {
		reply(w, http.StatusBadRequest, "cannot read body")
		return
	}
	forge, err := Verify(r.Header, body, h.Secret, h.now())
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	h.accept(w, forge, parseEvent(r.Header, body))
}

// refuse answers 401, logging at most one refusal per refusalLogEvery.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if ok, left := h.refusals.allow(h.now()); ok {
		h.log().Warn("webhook refused", "remote", r.RemoteAddr, "err", err, "refusals_not_logged", left)
	}
	reply(w, http.StatusUnauthorized, "not authenticated")
}

// accept acts on an authenticated event.
func (h *Handler) accept(w http.ResponseWriter, forge Forge, ev event) {
	log := h.log().With("forge", forge, "event", ev.name, "branch", ev.branch)
	switch {
	case !ev.push:
		log.Info("webhook ignored: not a push")
		reply(w, http.StatusOK, "ignored: not a push event")
	case h.Branch != "" && ev.branch != "" && ev.branch != h.Branch:
		log.Info("webhook ignored: other branch", "want", h.Branch)
		reply(w, http.StatusOK, "ignored: push to another branch")
	default:
		outcome := h.hit()
		log.Info("webhook accepted", "outcome", outcome)
		reply(w, http.StatusAccepted, outcome)
	}
}

// hit triggers now if the last trigger is MinInterval old, and otherwise
// arranges for one trigger when the interval ends.
func (h *Handler) hit() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if wait := h.last.Add(h.MinInterval).Sub(now); wait > 0 {
		if h.pending {
			return "coalesced with a queued reconcile"
		}
		h.pending = true
		time.AfterFunc(wait, h.fireLater)
		return "reconcile queued in " + wait.Round(time.Second).String()
	}
	h.last = now
	h.Trigger("webhook")
	return "reconcile triggered"
}

func (h *Handler) fireLater() {
	h.mu.Lock()
	h.pending, h.last = false, h.now()
	h.mu.Unlock()
	h.Trigger("webhook")
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

func reply(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"result": msg})
}
