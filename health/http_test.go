package health

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("status: ready\n")) })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "db down", http.StatusServiceUnavailable) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { time.Sleep(time.Second) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		name string
		c    HTTP
		want string // "" = passes, else part of the error
	}{
		{"ok", HTTP{URL: "/ok"}, ""},
		{"body found", HTTP{URL: "/ok", Body: "ready"}, ""},
		{"body missing", HTTP{URL: "/ok", Body: "healthy"}, `does not contain "healthy"`},
		{"503", HTTP{URL: "/broken"}, "503 Service Unavailable"},
		{"503 shows the body", HTTP{URL: "/broken"}, "db down"},
		{"503 expected", HTTP{URL: "/broken", Status: "503"}, ""},
		{"redirect followed", HTTP{URL: "/moved", Status: "200"}, ""},
		{"404 outside range", HTTP{URL: "/nothing", Status: "200-299,301"}, "404"},
		{"timeout", HTTP{URL: "/slow", Timeout: 100 * time.Millisecond}, "deadline exceeded"},
		{"bad status", HTTP{URL: "/ok", Status: "2xx"}, "want status codes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.URL = srv.URL + tt.c.URL
			checkErr(t, tt.c.Run(context.Background()), tt.want)
		})
	}
}

func TestHTTPVerifiesTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	// The outcome is the certificate's, not the clock's: a TLS handshake
	// under -race on a loaded machine can take over a second.
	checkErr(t, HTTP{URL: srv.URL, Timeout: time.Minute}.Run(context.Background()), "certificate")
	checkErr(t, HTTP{URL: srv.URL, Timeout: time.Minute, Insecure: true}.Run(context.Background()), "")
}

func TestHTTPNothingListening(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	checkErr(t, HTTP{URL: url, Timeout: time.Minute}.Run(context.Background()), "connection refused")
}

// checkErr fails t unless err is nil when want is "", or contains want.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
		t.Errorf("got %v, want %q", err, want)
	}
}
