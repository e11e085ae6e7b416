package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testserver"
)

// benchToken is the HTTP token of every git HTTP server here.
const benchToken = "bench-token"

// remote is one git server reachable through a counting proxy, with what
// berth and the git CLI each need to use it.
type remote struct {
	name  string
	url   string // through the proxy
	px    *proxy
	http  *testserver.GitHTTP // nil for SSH
	key   string              // SSH client key; "" for HTTP
	known string              // known_hosts naming the proxy's address
	token string              // file holding benchToken, for HTTP
}

// httpRemote serves repo over smart HTTP behind a token.
func httpRemote(t *testing.T, repo *testserver.Repo) *remote {
	g := testserver.StartGitHTTP(t, repo, benchToken)
	px := startProxy(t, g.Addr())
	tok := filepath.Join(t.TempDir(), "token")
	must(t, os.WriteFile(tok, []byte(benchToken+"\n"), 0o600), "token file")
	return &remote{name: "http", url: "http://" + px.Addr() + "/" + filepath.Base(repo.BareDir()), px: px, http: g, token: tok}
}

// sshRemote serves repo over SSH (sshd + git-shell).
func sshRemote(t *testing.T, repo *testserver.Repo) *remote {
	g := testserver.StartGitSSH(t, repo)
	px := startProxy(t, g.Addr())
	return &remote{name: "ssh", url: fmt.Sprintf("ssh://root@%s%s", px.Addr(), repo.BareDir()), px: px,
		key: g.ClientKeyPath(), known: proxyKnownHosts(t, g.KnownHostsPath(), g.Port(), px.Port())}
}

// proxyKnownHosts rewrites a known_hosts file pinned to the server's port
// so that it pins the same key at the proxy's port.
func proxyKnownHosts(t testing.TB, path string, from, to int) string {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err, "known_hosts")
	out := strings.ReplaceAll(string(data), fmt.Sprintf("]:%d ", from), fmt.Sprintf("]:%d ", to))
	p := filepath.Join(t.TempDir(), "known_hosts")
	must(t, os.WriteFile(p, []byte(out), 0o644), "known_hosts")
	return p
}

// gitConfig is berth's git source configuration for host on r, with
// fresh state under dir.
func (r *remote) gitConfig(dir, host string) map[string]any {
	c := map[string]any{
		"URL": r.url, "Branch": "main", "Host": host, "HostDir": "hosts/" + host,
		"StateDir": filepath.Join(dir, "repo"), "StageDir": filepath.Join(dir, "stage"),
		"Timeout": int64(10 * time.Minute),
	}
	if r.http != nil {
		c["TokenFile"] = r.token
	} else {
		c["SSHKeyFile"], c["KnownHostsFile"] = r.key, r.known
	}
	return c
}

// git is a git CLI command against r: isolated from user and system
// configuration, authenticated the most economical way (a bearer header
// sent with the first request; a pinned SSH key).
func (r *remote) git(dir string, args ...string) *exec.Cmd {
	pre := []string{}
	env := append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0")
	if r.http != nil {
		pre = append(pre, "-c", "http.extraHeader=Authorization: Bearer "+benchToken)
	} else {
		env = append(env, "GIT_SSH_COMMAND="+sshCommand(r.key, r.known))
	}
	cmd := exec.Command("git", append(pre, args...)...)
	cmd.Dir, cmd.Env = dir, env
	return cmd
}

// sshCommand is an OpenSSH client ignoring the user's configuration.
func sshCommand(key, known string) string {
	return strings.Join(sshOpts("ssh", key, known), " ")
}

func sshOpts(prog, key, known string) []string {
	return []string{prog, "-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"}
}

// metered runs op and returns its sample with what the proxy and, for
// HTTP, the server's meter saw meanwhile.
func (r *remote) metered(op func() sample) sample {
	r.px.take()
	if r.http != nil {
		r.http.Reset()
	}
	s := op()
	w := r.px.take()
	s.Up, s.Down, s.Turns, s.Conns = w.Up, w.Down, w.Turns, w.Conns
	if r.http != nil {
		s.Requests = r.http.Requests()
	}
	return s
}
