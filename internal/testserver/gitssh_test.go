package testserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitSSHCloneAndPushRefused(t *testing.T) {
	repo, head := pushedRepo(t)
	srv := StartGitSSH(t, repo)
	ssh := "core.sshCommand=" + srv.SSHCommand()
	got, err := lsRemote(srv.URL(), "-c", ssh)
	if err != nil || got != head {
		t.Fatalf("ls-remote: got %v (%v), want %v", got, err, head)
	}
	dst := filepath.Join(t.TempDir(), "clone")
	if _, err := Git(t.TempDir(), "-c", ssh, "clone", "--quiet", srv.URL(), dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := Git(dst, "rev-parse", "HEAD"); got != head {
		t.Errorf("cloned HEAD: got %v, want %v", got, head)
	}
}

func TestGitSSHRejects(t *testing.T) {
	repo, _ := pushedRepo(t)
	srv := StartGitSSH(t, repo)
	stranger := filepath.Join(t.TempDir(), "stranger")
	keygen(t, stranger, "stranger")
	oldKnown := srv.KnownHostsPath()
	tests := []struct {
		name   string
		key    string
		known  func() string
		rotate bool
		want   string
	}{
		{"unknown client key", stranger, srv.KnownHostsPath, false, "Permission denied"},
		{"empty known_hosts", srv.ClientKeyPath(), func() string { return os.DevNull }, false, "Host key verification failed"},
		{"rotated host key", srv.ClientKeyPath(), func() string { return oldKnown }, true, "REMOTE HOST IDENTIFICATION HAS CHANGED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.rotate {
				srv.RotateHostKey()
			}
			ssh := strings.Join(sshClientArgs(tt.key, tt.known()), " ")
			_, err := lsRemote(srv.URL(), "-c", "core.sshCommand="+ssh)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// After a rotation the new known_hosts file works again.
	ssh := "core.sshCommand=" + srv.SSHCommand()
	if _, err := lsRemote(srv.URL(), "-c", ssh); err != nil {
		t.Errorf("new host key: %v", err)
	}
}

// git-shell refuses anything but git's own commands.
func TestGitSSHNoShell(t *testing.T) {
	repo, _ := pushedRepo(t)
	srv := StartGitSSH(t, repo)
	args := append(sshClientArgs(srv.ClientKeyPath(), srv.KnownHostsPath()),
		"-p", strings.TrimPrefix(srv.Addr(), "127.0.0.1:"), "root@127.0.0.1", "id")
	out, err := run(args[0], args[1:]...)
	if err == nil || !strings.Contains(err.Error(), "unrecognized command") {
		t.Errorf("got %q (%v), want git-shell to refuse the command", out, err)
	}
}
