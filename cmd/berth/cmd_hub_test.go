package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/hub/hubtest"
	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/hubclient"
)

// startHubCmd runs `berth hub` in-process on a real SQLite file, with an
// admin key and the host laptop1, and returns its URL and the admin key
// file.
func startHubCmd(t *testing.T) (url, keyFile, dir string) {
	t.Helper()
	return startHubCmdWith(t, func(string) string { return "" })
}

// startHubCmdWith is startHubCmd with more of the hub's configuration,
// which extra makes from the test's directory.
func startHubCmdWith(t *testing.T, extra func(dir string) string) (url, keyFile, dir string) {
	t.Helper()
	dir = t.TempDir()
	addr := hubtest.FreeAddr(t)
	keyFile = hubtest.Secret(t, dir, "admin", "admin-key")
	hubtest.Secret(t, dir, "laptop1", "laptop1-token")
	cfg := fmt.Sprintf(`listen: %q
database:
  sqlite: %s/hub.db
keys:
  - name: root
    role: admin
    key_file: %s
hosts:
  laptop1:
    token_file: %s/laptop1
`, addr, dir, keyFile, dir) + extra(dir)
	cfgPath := filepath.Join(dir, "hub.yaml")
	os.WriteFile(cfgPath, []byte(cfg), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, []string{"hub", "--hub-config", cfgPath}, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("berth hub did not start listening")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "http://" + addr, keyFile, dir
}

func berth(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := execute(context.Background(), args, &out, &errOut)
	return out.String() + errOut.String(), code
}

func TestHubCommands(t *testing.T) {
	url, keyFile, dir := startHubCmd(t)
	client := []string{"--hub", url, "--key-file", keyFile}
	hc := &hubclient.Client{URL: url, TokenFile: filepath.Join(dir, "laptop1"), HTTP: &http.Client{Timeout: 10 * time.Second}}
	rep := reconciler.HostReport{Version: 1, Host: "laptop1", At: time.Now(), Result: reconciler.ResultApplied,
		Applied: &reconciler.Revision{Revision: "main@sha1:" + strings.Repeat("a", 40), Commit: strings.Repeat("a", 40), Digest: "sha256:x"}}
	if err := hc.Send(context.Background(), rep, ""); err != nil {
		t.Fatal(err)
	}

	out, code := berth(t, append([]string{"fleet", "status"}, client...)...)
	if code != 0 || !strings.Contains(out, "laptop1") || !strings.Contains(out, "up-to-date") || !strings.Contains(out, "aaaaaaaaaaaa") {
		t.Errorf("fleet status --hub: exit %d\n%s", code, out)
	}
	out, code = berth(t, append([]string{"hub", "trigger", "laptop1"}, client...)...)
	if code != 0 || !strings.Contains(out, "offline (they poll on their schedule): laptop1") {
		t.Errorf("hub trigger: exit %d\n%s", code, out)
	}
	out, code = berth(t, append([]string{"hub", "keys", "add", "ci", "--role", "operate"}, client...)...)
	secret := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(secret, "berth_") {
		t.Fatalf("hub keys add: exit %d\n%s", code, out)
	}
	ciKey := filepath.Join(dir, "ci")
	os.WriteFile(ciKey, []byte(secret), 0o600)
	if out, code := berth(t, "hub", "trigger", "--all", "--hub", url, "--key-file", ciKey); code != 0 {
		t.Errorf("trigger with the new operate key: exit %d\n%s", code, out)
	}
	if out, code := berth(t, "hub", "audit", "--hub", url, "--key-file", ciKey); code != 1 || !strings.Contains(out, "403") {
		t.Errorf("audit with an operate key: exit %d, want 1 and a 403\n%s", code, out)
	}
	out, _ = berth(t, append([]string{"hub", "keys", "list"}, client...)...)
	if !strings.Contains(out, "ci") || !strings.Contains(out, "operate") || !strings.Contains(out, "root") {
		t.Errorf("hub keys list:\n%s", out)
	}
	if out, code := berth(t, append([]string{"hub", "keys", "delete", "ci"}, client...)...); code != 0 {
		t.Errorf("hub keys delete: exit %d\n%s", code, out)
	}
	out, code = berth(t, append([]string{"hub", "audit"}, client...)...)
	for _, want := range []string{"host:laptop1", "report", "key:root", "trigger", "key.add", "key.delete", "key:ci", "auth.forbidden"} {
		if !strings.Contains(out, want) {
			t.Errorf("hub audit lacks %q: exit %d\n%s", want, code, out)
		}
	}
}

func TestHubConfigErrorNamesLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hub.yaml")
	os.WriteFile(p, []byte("database:\n  sqlite: relative.db\n"), 0o600)
	out, code := berth(t, "hub", "--hub-config", p)
	if code != exitUsage || !strings.Contains(out, p+":2: database.sqlite: must be an absolute path") {
		t.Errorf("exit %d, want %d and file:line:key\n%s", code, exitUsage, out)
	}
}

func TestHubClientNeedsURLAndKey(t *testing.T) {
	t.Setenv("BERTH_HUB_URL", "")
	t.Setenv("BERTH_HUB_KEY_FILE", "")
	out, code := berth(t, "hub", "trigger", "--all")
	if code != exitUsage || !strings.Contains(out, "no hub: give --hub URL") {
		t.Errorf("exit %d\n%s", code, out)
	}
}
