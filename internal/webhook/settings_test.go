package webhook

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSettingsHandler: the handler takes the section's values and the
// secret from its file; pushes to the source's branch count unless the
// section names another one.
func TestSettingsHandler(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(" s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	s.Enabled, s.SecretFile = true, secret
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	h, err := s.Handler("main", func(string) {}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(h.Secret) != "s3cret" || h.Branch != "main" || h.MaxBody != 1<<20 || h.MinInterval != s.MinInterval {
		t.Errorf("got %+v", h)
	}
	s.Branch = "prod"
	if h, _ := s.Handler("main", nil, nil); h.Branch != "prod" {
		t.Errorf("got branch %q, want prod", h.Branch)
	}
	s.SecretFile = filepath.Join(t.TempDir(), "missing")
	if _, err := s.Handler("main", nil, nil); err == nil {
		t.Error("a missing secret file gave a handler")
	}
}
