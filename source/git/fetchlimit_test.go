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

// TestFetchBudgetCoversDeepening: the fetches that deepen history for
// Descends count against the same source.max_fetch_bytes budget as the
// reconcile's Fetch: each fetch below stays under the limit, together
// they do not.
func TestFetchBudgetCoversDeepening(t *testing.T) {
	repo := testserver.NewRepo(t)
	repo.WriteFile("hosts/laptop1/flake.nix", "{ }")
	var commits []string
	for _, size := range []int{10, 10, 700 << 10, 1 << 20} {
		blob := make([]byte, size)
		rand.Read(blob)
		repo.WriteFile("hosts/other/blob", string(blob))
		commits = append(commits, repo.Commit("another blob"))
	}
	repo.Push()
	srv := testserver.StartGitHTTP(t, repo, "")
	cfg := baseConfig(t, srv.URL())
	cfg.MaxFetchBytes = 3 << 19 // 1.5 MiB
	src := newSource(t, cfg)
	if _, err := src.Fetch(context.Background()); err != nil {
		t.Fatalf("the first fetch alone is under the limit: %v", err)
	}
	_, err := src.Descends(context.Background(), commits[0], commits[3])
	if fault.ClassOf(err) != fault.Stalling || !strings.Contains(err.Error(), "max_fetch_bytes") {
		t.Errorf("got %v, want the deepening refused for the reconcile's total", err)
	}
}
