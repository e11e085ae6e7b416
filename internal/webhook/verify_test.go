package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

var (
	secret = []byte("s3cret")
	now    = time.Unix(1_750_000_000, 0)
	body   = []byte(`{"ref":"refs/heads/main","after":"abc"}`)
)

func hexMAC(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestVerify(t *testing.T) {
	good, bad := hexMAC(secret, string(body)), hexMAC([]byte("wrong"), string(body))
	ts := strconv.FormatInt(now.Unix(), 10)
	old := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	tests := []struct {
		name  string
		h     http.Header
		forge Forge
		ok    bool
	}{
		{"github valid", hdr("X-Hub-Signature-256", "sha256="+good), GitHub, true},
		{"github wrong secret", hdr("X-Hub-Signature-256", "sha256="+bad), GitHub, false},
		{"github without prefix", hdr("X-Hub-Signature-256", good), GitHub, false},
		{"github not hex", hdr("X-Hub-Signature-256", "sha256=zz"), GitHub, false},
		{"gitea valid", hdr("X-Gitea-Signature", good), Gitea, true},
		{"gitea wrong secret", hdr("X-Gitea-Signature", bad), Gitea, false},
		{"forgejo valid", hdr("X-Forgejo-Signature", good), Forgejo, true},
		{"forgejo wrong secret", hdr("X-Forgejo-Signature", bad), Forgejo, false},
		{"forgejo bad not rescued by gitea", hdr("X-Forgejo-Signature", bad, "X-Gitea-Signature", good), Forgejo, false},
		{"gitlab valid", hdr("X-Gitlab-Token", "s3cret"), GitLab, true},
		{"gitlab wrong token", hdr("X-Gitlab-Token", "s3cre"), GitLab, false},
		{"generic valid", hdr(TimestampHeader, ts, SignatureHeader, "sha256="+hexMAC(secret, ts+"."+string(body))), Generic, true},
		{"generic wrong secret", hdr(TimestampHeader, ts, SignatureHeader, "sha256="+hexMAC([]byte("x"), ts+"."+string(body))), Generic, false},
		{"generic replayed too late", hdr(TimestampHeader, old, SignatureHeader, "sha256="+hexMAC(secret, old+"."+string(body))), Generic, false},
		{"generic timestamp changed", hdr(TimestampHeader, ts, SignatureHeader, "sha256="+hexMAC(secret, old+"."+string(body))), Generic, false},
		{"generic no timestamp", hdr(SignatureHeader, "sha256="+good), Generic, false},
		{"missing header", hdr("X-GitHub-Event", "push"), "", false},
	}
	for _, tt := range tests {
		forge, err := Verify(tt.h, body, secret, now)
		if forge != tt.forge || (err == nil) != tt.ok {
			t.Errorf("%s: got %q, %v, want %q, ok=%v", tt.name, forge, err, tt.forge, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: got %v, want ErrUnauthenticated", tt.name, err)
		}
	}
}

func TestVerifyRefusesWithoutSecret(t *testing.T) {
	if _, err := Verify(hdr("X-Gitlab-Token", ""), body, nil, now); err == nil {
		t.Error("empty secret: got no error")
	}
}

func TestSignVerifies(t *testing.T) {
	if _, err := Verify(Sign(secret, body, now), body, secret, now.Add(time.Minute)); err != nil {
		t.Errorf("got %v, want nil", err)
	}
}

func TestBranchOf(t *testing.T) {
	tests := []struct{ ctype, body, want string }{
		{"application/json", `{"ref":"refs/heads/main"}`, "main"},
		{"application/json", `{"ref":"refs/heads/feature/x"}`, "feature/x"},
		{"application/json", `{"ref":"refs/tags/v1"}`, ""},
		{"application/json", `not json`, ""},
		{"application/x-www-form-urlencoded", "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fdev%22%7D", "dev"},
		{"", `{}`, ""},
	}
	for _, tt := range tests {
		if got := branchOf(tt.ctype, []byte(tt.body)); got != tt.want {
			t.Errorf("%s %q: got %q, want %q", tt.ctype, tt.body, got, tt.want)
		}
	}
}
