package health

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testserver"
	gitsource "github.com/berth-nix/berth/source/git"
)

// TestReachability polls a real git server over HTTP with a token, the
// way the agent's reachability check does.
func TestReachability(t *testing.T) {
	repo := testserver.NewRepo(t)
	repo.WriteFile("hosts/a/flake.nix", "{}\n")
	repo.Commit("initial")
	repo.Push()
	srv := testserver.StartGitHTTP(t, repo, "tok")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := gitsource.New(gitsource.Config{URL: srv.URL(), Branch: "main", Host: "a", HostDir: "hosts/a",
		StateDir: filepath.Join(dir, "git"), StageDir: filepath.Join(dir, "stage"), TokenFile: tokenFile, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Name: "source", Kind: KindReachability}
	if err := spec.Normalize(); err != nil {
		t.Fatal(err)
	}
	p, err := Build(spec, Env{Reachability: func(ctx context.Context) error { _, err := src.Poll(ctx); return err }})
	if err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.Check.Run(context.Background()), "")
	srv.SetToken("rotated")
	checkErr(t, p.Check.Run(context.Background()), "source unreachable")
	srv.SetToken("tok")
	srv.SetDown(true)
	checkErr(t, p.Check.Run(context.Background()), "source unreachable")
	srv.SetDown(false)
	checkErr(t, p.Check.Run(context.Background()), "")
}

func TestBuildReachabilityWithoutSource(t *testing.T) {
	if _, err := Build(Spec{Name: "r", Kind: KindReachability}, Env{}); err == nil {
		t.Errorf("got nil, want an error: no source to reach")
	}
}
