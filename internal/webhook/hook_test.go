package webhook

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testenv"
)

// TestPostReceiveHookIsAccepted runs contrib/hooks/post-receive the way
// git does after a push and checks that the handler accepts what it
// sends, for the branch it is told to announce only.
func TestPostReceiveHookIsAccepted(t *testing.T) {
	for _, tool := range []string{"git", "curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, fmt.Sprintf("needs %s", tool))
		}
	}
	h, c := newHandler(0)
	srv := httptest.NewServer(h)
	defer srv.Close()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte("  "+string(secret)+"\n"), 0o600)
	repo := filepath.Join(dir, "fleet.git")
	git(t, "", "init", "-q", "--bare", repo)
	git(t, repo, "config", "--add", "berth.webhookUrl", srv.URL+"/webhook")
	git(t, repo, "config", "berth.webhookSecretFile", secretFile)
	hook, _ := filepath.Abs("../../contrib/hooks/post-receive")
	cmd := exec.Command(hook)
	cmd.Dir, cmd.Env = repo, append(os.Environ(), "GIT_DIR="+repo)
	zero := strings.Repeat("0", 40)
	cmd.Stdin = strings.NewReader(zero + " " + strings.Repeat("a", 40) + " refs/heads/main\n" +
		zero + " " + strings.Repeat("b", 40) + " refs/tags/v1\n")
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("hook: %v\n%s", err, out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.count() < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := c.count(); got != 1 {
		t.Errorf("got %d triggers, want 1 (the branch push; the tag is not announced)", got)
	}
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}
