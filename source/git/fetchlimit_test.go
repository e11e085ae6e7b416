package gitsource

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testserver"
)

// TestFetchSizeIsBounded: a commit carrying 3 MiB of incompressible data
// is refused under a 1 MiB fetch limit, before the host tree is looked at,
// and fetched under a larger one.
func TestFetchSizeIsBounded(t *testing.T) {
	repo := testserver.NewRepo(t)
	repo.WriteFile("hosts/laptop1/flake.nix", "{ }")
	big := make([]byte, 3<<20)
	rand.Read(big)
	repo.WriteFile("hosts/other/blob", string(big))
	repo.Commit("a large blob for another host")
	repo.Push()
	srv := testserver.StartGitHTTP(t, repo, "")

	tests := []struct {
		name  string
		limit int64
		fail  bool
	}{
		{"over the limit", 1 << 20, true},
		{"under the limit", 64 << 20, false},
	}
	for _, tt := range tests {
		cfg := baseConfig(t, srv.URL())
		cfg.MaxFetchBytes = tt.limit
		_, err := newSource(t, cfg).Fetch(context.Background())
		if tt.fail && dirSize(cfg.StateDir) != 0 {
			t.Errorf("%s: %d bytes of the refused fetch were kept", tt.name, dirSize(cfg.StateDir))
		}
		switch {
		case tt.fail && (fault.ClassOf(err) != fault.Stalling || !strings.Contains(err.Error(), "max_fetch_bytes")):
			t.Errorf("%s: got %v, want a stalling refusal naming source.max_fetch_bytes", tt.name, err)
		case !tt.fail && err != nil:
			t.Errorf("%s: got %v, want the fetch to succeed", tt.name, err)
		}
	}
}
