package health

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFingerprintFollowsContent(t *testing.T) {
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts")
	os.WriteFile(hosts, []byte("127.0.0.1 git.example\n"), 0o644)
	files := []string{hosts, filepath.Join(dir, "missing")}
	a := fingerprint(files)
	if b := fingerprint(files); a != b {
		t.Fatalf("got %s then %s for the same files", a, b)
	}
	os.WriteFile(hosts, []byte("127.0.0.2 git.example\n"), 0o644)
	if fingerprint(files) == a {
		t.Errorf("fingerprint unchanged after /etc/hosts changed")
	}
}

func TestReachabilityWaitsOnlyWhenResolutionMayHaveChanged(t *testing.T) {
	poll := func(context.Context) error { return nil }
	spec := Spec{Name: "source-reachable", Kind: KindReachability}
	if err := spec.Normalize(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		changed func() bool
		wait    bool
	}{
		{"unknown", nil, true},
		{"changed", func() bool { return true }, true},
		{"unchanged", func() bool { return false }, false},
	}
	for _, tt := range tests {
		before := time.Now()
		c, err := spec.check(Env{Reachability: poll, ResolverChanged: tt.changed})
		if err != nil {
			t.Fatal(err)
		}
		waits := c.(Reachability).NotBefore.Sub(before) >= ResolverCacheAge-time.Second
		if waits != tt.wait {
			t.Errorf("%s: got wait %v, want %v", tt.name, waits, tt.wait)
		}
	}
}
