package testserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sftpBatch runs the sftp CLI as user with batch commands; sftp -b stops
// at the first failing command and exits non-zero.
func sftpBatch(t *testing.T, s *SFTP, user string, cmds ...string) (string, error) {
	t.Helper()
	batch := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(batch, []byte(strings.Join(cmds, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := s.SFTPArgs(user, "-b", batch)
	return run(args[0], args[1:]...)
}

func TestSFTPChroot(t *testing.T) {
	s := StartSFTP(t, "berth-t1", "berth-t2")
	if err := os.WriteFile(filepath.Join(s.ChrootDir("berth-t1"), "config/flake.nix"), []byte("{ }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	report := filepath.Join(local, "report.json")
	os.WriteFile(report, []byte(`{"ok":true}`), 0o644)
	tests := []struct {
		name string
		user string
		cmds []string
		ok   bool
		want string // in the output when ok
	}{
		{"list own config", "berth-t1", []string{"ls /config"}, true, "flake.nix"},
		{"get config", "berth-t1", []string{"get /config/flake.nix " + local + "/got.nix"}, true, ""},
		{"put report", "berth-t1", []string{"put " + report + " /reports/report.json"}, true, ""},
		{"put into config", "berth-t1", []string{"put " + report + " /config/evil"}, false, ""},
		{"other user's files", "berth-t2", []string{"get /config/flake.nix " + local + "/x"}, false, ""},
		{"leave chroot", "berth-t1", []string{"ls /../../.."}, true, "config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := sftpBatch(t, s, tt.user, tt.cmds...)
			if tt.ok && (err != nil || !strings.Contains(out, tt.want)) {
				t.Errorf("got %q (%v), want success with %q", out, err, tt.want)
			}
			if !tt.ok && err == nil {
				t.Errorf("got success %q, want a failure", out)
			}
		})
	}
	if got, _ := os.ReadFile(filepath.Join(local, "got.nix")); string(got) != "{ }\n" {
		t.Errorf("downloaded config: got %q, want %q", got, "{ }\n")
	}
	if got, _ := os.ReadFile(filepath.Join(s.ChrootDir("berth-t1"), "reports/report.json")); string(got) != `{"ok":true}` {
		t.Errorf("uploaded report: got %q, want %q", got, `{"ok":true}`)
	}
}
