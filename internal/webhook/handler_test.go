package webhook

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// triggers counts what the handler asked of the agent.
type triggers struct {
	mu sync.Mutex
	n  int
}

func (c *triggers) Trigger(string) { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *triggers) count() int     { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

func newHandler(interval time.Duration) (*Handler, *triggers) {
	c := &triggers{}
	return &Handler{Secret: secret, MaxBody: 4096, Branch: "main", MinInterval: interval, Trigger: c.Trigger}, c
}

func post(h http.Handler, body []byte, hd http.Header) int {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	for k, v := range hd {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func github(b []byte, event string) http.Header {
	return hdr("X-Hub-Signature-256", "sha256="+hexMAC(secret, string(b)), "X-GitHub-Event", event, "Content-Type", "application/json")
}

func TestHandlerResponses(t *testing.T) {
	other := []byte(`{"ref":"refs/heads/dev"}`)
	huge := []byte(`{"ref":"refs/heads/main","pad":"` + strings.Repeat("x", 5000) + `"}`)
	tests := []struct {
		name     string
		body     []byte
		h        http.Header
		code     int
		triggers int
	}{
		{"valid push", body, github(body, "push"), 202, 1},
		{"wrong secret", body, hdr("X-Hub-Signature-256", "sha256="+hexMAC([]byte("x"), string(body))), 401, 0},
		{"missing header", body, hdr("X-GitHub-Event", "push"), 401, 0},
		{"oversized body", huge, github(huge, "push"), 413, 0},
		{"other branch", other, github(other, "push"), 200, 0},
		{"ping", body, github(body, "ping"), 200, 0},
		{"gitlab push", body, hdr("X-Gitlab-Token", string(secret), "X-Gitlab-Event", "Push Hook"), 202, 1},
		{"generic", body, Sign(secret, body, time.Now()), 202, 1},
	}
	for _, tt := range tests {
		h, c := newHandler(0)
		if got := post(h, tt.body, tt.h); got != tt.code {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.code)
		}
		if got := c.count(); got != tt.triggers {
			t.Errorf("%s: triggers got %v, want %v", tt.name, got, tt.triggers)
		}
	}
}

func TestHandlerRefusesGET(t *testing.T) {
	h, _ := newHandler(0)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhook", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("got %v, want %v", w.Code, http.StatusMethodNotAllowed)
	}
}

// A flood of valid (or replayed) requests inside the interval causes one
// trigger at once and exactly one more when the interval ends.
func TestFloodIsFoldedIntoOneQueuedTrigger(t *testing.T) {
	h, c := newHandler(300 * time.Millisecond)
	hd := github(body, "push")
	for range 50 {
		if got := post(h, body, hd); got != 202 {
			t.Fatalf("got %v, want 202", got)
		}
	}
	if got := c.count(); got != 1 {
		t.Errorf("at once: got %d triggers, want 1", got)
	}
	time.Sleep(600 * time.Millisecond)
	if got := c.count(); got != 2 {
		t.Errorf("after the interval: got %d triggers, want 2", got)
	}
	post(h, body, hd)
	time.Sleep(50 * time.Millisecond)
	if got := c.count(); got != 3 {
		t.Errorf("a request after the interval: got %d triggers, want 3", got)
	}
}
