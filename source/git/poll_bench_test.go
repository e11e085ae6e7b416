package gitsource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testserver"
)

// benchFleet serves a 50-host fleet over smart HTTP with a token and
// returns it with a Source configuration for host h01.
func benchFleet(b *testing.B) (*testserver.Repo, *testserver.GitHTTP, Config) {
	b.Helper()
	repo := testserver.NewRepo(b)
	for i := range 50 {
		repo.WriteFile(fmt.Sprintf("hosts/h%02d/flake.nix", i), fmt.Sprintf("{ host = %d; }\n", i))
	}
	repo.Commit("fleet")
	repo.Push()
	srv := testserver.StartGitHTTP(b, repo, "bench")
	dir := b.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("bench\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	return repo, srv, Config{URL: srv.URL(), Host: "h01", HostDir: "hosts/h01", TokenFile: tok,
		StateDir: filepath.Join(dir, "repo"), StageDir: filepath.Join(dir, "stage"), Timeout: time.Minute}
}

// BenchmarkPollHTTP measures a poll that finds nothing new, with the
// server's view of it: requests and response bytes per poll.
func BenchmarkPollHTTP(b *testing.B) {
	_, srv, cfg := benchFleet(b)
	src, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	srv.Reset()
	for b.Loop() {
		if _, err := src.Poll(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(srv.Requests())/float64(b.N), "requests/op")
	b.ReportMetric(float64(srv.BytesOut())/float64(b.N), "resp-bytes/op")
}

// BenchmarkFetchOtherHostChanged measures the incremental fetch after a
// commit that changed another host: what the agent pays before finding
// its own digest unchanged.
func BenchmarkFetchOtherHostChanged(b *testing.B) {
	repo, srv, cfg := benchFleet(b)
	src, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	first, err := src.Fetch(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	srv.Reset()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		repo.WriteFile("hosts/h02/flake.nix", fmt.Sprintf("{ change = %d; }\n", i))
		repo.Commit("h02")
		repo.Push()
		b.StartTimer()
		a, err := src.Fetch(context.Background())
		if err != nil || a.Digest != first.Digest {
			b.Fatalf("got digest %s, %v; want %s", a.Digest, err, first.Digest)
		}
	}
	b.ReportMetric(float64(srv.Requests())/float64(b.N), "requests/op")
	b.ReportMetric(float64(srv.BytesOut())/float64(b.N), "resp-bytes/op")
}
