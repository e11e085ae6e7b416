package testserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func pushedRepo(t *testing.T) (*Repo, string) {
	t.Helper()
	repo := NewRepo(t)
	repo.WriteFile("hosts/a/flake.nix", "{ }\n")
	repo.Symlink("hosts/a/common", "../../modules/common")
	repo.WriteFile("modules/common/x.nix", "1\n")
	head := repo.Commit("first")
	repo.Push()
	return repo, head
}

// lsRemote runs `git ls-remote` against url with extra -c options and
// returns the hash of main, or the error.
func lsRemote(url string, opts ...string) (string, error) {
	args := append(opts, "ls-remote", url, "refs/heads/"+Branch)
	out, err := Git(os.TempDir(), args...)
	if err != nil {
		return "", err
	}
	hash, _, _ := strings.Cut(out, "\t")
	return hash, nil
}

func TestGitHTTPCloneWithToken(t *testing.T) {
	repo, head := pushedRepo(t)
	srv := StartGitHTTP(t, repo, "s3cret")
	dst := filepath.Join(t.TempDir(), "clone")
	if _, err := Git(t.TempDir(), "clone", "--quiet", srv.AuthURL(), dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := Git(dst, "rev-parse", "HEAD"); got != head {
		t.Errorf("cloned HEAD: got %v, want %v", got, head)
	}
	link, err := os.Readlink(filepath.Join(dst, "hosts/a/common"))
	if err != nil || link != "../../modules/common" {
		t.Errorf("symlink: got %q (%v), want %q", link, err, "../../modules/common")
	}
}

func TestGitHTTPAuth(t *testing.T) {
	repo, head := pushedRepo(t)
	srv := StartGitHTTP(t, repo, "s3cret")
	tests := []struct {
		name string
		url  string
		opts []string
		ok   bool
	}{
		{"basic", srv.AuthURL(), nil, true},
		{"bearer", srv.URL(), []string{"-c", "http.extraHeader=Authorization: Bearer s3cret"}, true},
		{"none", srv.URL(), nil, false},
		{"wrong basic", strings.Replace(srv.AuthURL(), "s3cret", "nope", 1), nil, false},
		{"wrong bearer", srv.URL(), []string{"-c", "http.extraHeader=Authorization: Bearer nope"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lsRemote(tt.url, tt.opts...)
			if tt.ok && (err != nil || got != head) {
				t.Errorf("got %v (%v), want %v", got, err, head)
			}
			if !tt.ok && err == nil {
				t.Errorf("got %v, want an authentication error", got)
			}
		})
	}
}

func TestGitHTTPTokenRotation(t *testing.T) {
	repo, head := pushedRepo(t)
	srv := StartGitHTTP(t, repo, "old")
	oldURL := srv.AuthURL()
	srv.SetToken("new")
	if _, err := lsRemote(oldURL); err == nil {
		t.Error("old token still accepted after rotation")
	}
	if got, err := lsRemote(srv.AuthURL()); err != nil || got != head {
		t.Errorf("new token: got %v (%v), want %v", got, err, head)
	}
}

func TestGitHTTPDownAndStatus(t *testing.T) {
	repo, head := pushedRepo(t)
	srv := StartGitHTTP(t, repo, "")
	srv.SetDown(true)
	if _, err := lsRemote(srv.URL()); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("down: got %v, want a connect error", err)
	}
	srv.SetDown(false)
	if got, err := lsRemote(srv.URL()); err != nil || got != head {
		t.Errorf("up again: got %v (%v), want %v", got, err, head)
	}
	srv.SetStatus(503)
	if _, err := lsRemote(srv.URL()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("503: got %v, want an error naming 503", err)
	}
}

// A poll that finds nothing new is one small request with the token sent
// up front (as a Bearer header), and the meter sees exactly that.
func TestGitHTTPMeter(t *testing.T) {
	repo, head := pushedRepo(t)
	srv := StartGitHTTP(t, repo, "tok")
	srv.Reset()
	got, err := lsRemote(srv.URL(), "-c", "protocol.version=0", "-c", "http.extraHeader=Authorization: Bearer tok")
	if err != nil || got != head {
		t.Fatalf("ls-remote: got %v (%v), want %v", got, err, head)
	}
	log := srv.Log()
	if srv.Requests() != 1 || len(log) != 1 {
		t.Fatalf("requests: got %v (%+v), want 1", srv.Requests(), log)
	}
	if !strings.HasPrefix(log[0].Path, "/fleet.git/info/refs?service=git-upload-pack") || log[0].Status != 200 {
		t.Errorf("request: got %+v, want 200 for info/refs", log[0])
	}
	if n := srv.BytesOut(); n <= 0 || n > 4096 {
		t.Errorf("bytes out: got %v, want between 1 and 4096", n)
	}
}

func TestRepoHistoryRewrite(t *testing.T) {
	repo, first := pushedRepo(t)
	repo.WriteFile("hosts/a/flake.nix", "{ x = 1; }\n")
	second := repo.Commit("second")
	repo.Push()
	if got := repo.RemoteHead(); got != second {
		t.Fatalf("remote head: got %v, want %v", got, second)
	}
	repo.ResetHard(first)
	repo.Remove("hosts/a/common")
	third := repo.Commit("rewritten")
	repo.ForcePush()
	if got := repo.RemoteHead(); got != third {
		t.Errorf("remote head after force push: got %v, want %v", got, third)
	}
	if _, err := os.Lstat(filepath.Join(repo.WorkDir(), "hosts/a/common")); !os.IsNotExist(err) {
		t.Errorf("removed link: got %v, want not exist", err)
	}
}
