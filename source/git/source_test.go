package gitsource

import (
	"path/filepath"
	"testing"

	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/source/conformance"
)

// baseConfig is a Config for conformance.Host on url, with fresh state and
// stage directories.
func baseConfig(t *testing.T, url string) Config {
	dir := t.TempDir()
	return Config{
		URL:      url,
		Host:     conformance.Host,
		HostDir:  conformance.HostDir,
		StateDir: filepath.Join(dir, "state"),
		StageDir: filepath.Join(dir, "stage"),
	}
}

func newSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fixture wires a testserver repository to the conformance suite.
func fixture(repo *testserver.Repo, s *Source) conformance.Fixture {
	return conformance.Fixture{
		Source:    s,
		WriteFile: repo.WriteFile,
		Symlink:   repo.Symlink,
		Remove:    repo.Remove,
		Publish: func() {
			repo.Commit("change")
			repo.Push()
		},
	}
}

func TestConformanceFile(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fixture {
		repo := testserver.NewRepo(t)
		return fixture(repo, newSource(t, baseConfig(t, "file://"+repo.BareDir())))
	})
}

func TestConformanceHTTP(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fixture {
		repo := testserver.NewRepo(t)
		srv := testserver.StartGitHTTP(t, repo, "s3cret")
		cfg := baseConfig(t, srv.URL())
		cfg.TokenFile = writeToken(t, "s3cret")
		return fixture(repo, newSource(t, cfg))
	})
}

func TestConformanceSSH(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fixture {
		repo := testserver.NewRepo(t)
		srv := testserver.StartGitSSH(t, repo)
		cfg := baseConfig(t, srv.URL())
		cfg.SSHKeyFile, cfg.KnownHostsFile = srv.ClientKeyPath(), srv.KnownHostsPath()
		return fixture(repo, newSource(t, cfg))
	})
}

func writeToken(t *testing.T, token string) string {
	p := filepath.Join(t.TempDir(), "token")
	writeFile(t, p, token+"\n")
	return p
}
