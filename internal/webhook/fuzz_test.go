package webhook

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzRequest throws arbitrary headers and bodies at the handler: it must
// never panic, and nothing unauthenticated may trigger.
func FuzzRequest(f *testing.F) {
	f.Add("X-Hub-Signature-256", "sha256="+hexMAC(secret, string(body)), "X-GitHub-Event", "push", body)
	f.Add("X-Gitlab-Token", "s3cret", "Content-Type", "application/x-www-form-urlencoded", []byte("payload=%7B"))
	f.Add(SignatureHeader, "sha256=00", TimestampHeader, "99999999999999999999", []byte{0xff, 0})
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string, b []byte) {
		fired := false
		h := &Handler{Secret: secret, MaxBody: 1 << 16, Branch: "main", Trigger: func(string) { fired = true }}
		r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(b))
		r.Header[http.CanonicalHeaderKey(k1)] = []string{v1}
		r.Header[http.CanonicalHeaderKey(k2)] = []string{v2}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		_, err := Verify(r.Header, b, secret, time.Now())
		if fired && err != nil {
			t.Fatalf("triggered by an unauthenticated request: %v", err)
		}
		if w.Code == http.StatusAccepted && !fired {
			t.Fatalf("answered 202 without a trigger")
		}
		parseEvent(r.Header, b)
	})
}
