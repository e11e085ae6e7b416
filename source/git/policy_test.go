package gitsource

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/source/conformance"
)

// TestArtifactCarriesTheRolloutPolicy fetches over a real git HTTP
// server: the artifact has the repository's rollout.yaml at that commit,
// and none once it is removed.
func TestArtifactCarriesTheRolloutPolicy(t *testing.T) {
	repo := testserver.NewRepo(t)
	srv := testserver.StartGitHTTP(t, repo, "s3cret")
	cfg := baseConfig(t, srv.URL())
	cfg.TokenFile = writeToken(t, "s3cret")
	s := newSource(t, cfg)
	policy := "groups:\n  all: {hosts: ['*'], delay: 1h}\nwaves:\n  - {name: all, groups: [all]}\n"
	repo.WriteFile(conformance.HostDir+"/flake/flake.nix", "{}\n")
	repo.WriteFile("rollout.yaml", policy)
	repo.Commit("policy")
	repo.Push()
	a, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Policy) != policy {
		t.Fatalf("artifact policy: got %q, want %q", a.Policy, policy)
	}
	repo.Remove("rollout.yaml")
	repo.Commit("no policy")
	repo.Push()
	if a, err = s.Fetch(context.Background()); err != nil || a.Policy != nil {
		t.Fatalf("after removing rollout.yaml: policy %q, %v; want none", a.Policy, err)
	}
	repo.WriteFile("rollout.yaml", strings.Repeat("#", 1<<20+1))
	repo.Commit("huge policy")
	repo.Push()
	if _, err = s.Fetch(context.Background()); fault.ClassOf(err) != fault.Stalling || !strings.Contains(err.Error(), "rollout.yaml must be a regular file of at most") {
		t.Fatalf("huge rollout.yaml: got %v, want a stalling error naming it", err)
	}
}
