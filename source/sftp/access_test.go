package sftpsource

import (
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestSecretsReadableByTheHostOnly: a secret published into the host's
// chroot (config/ as add-host and services.berth-server make it) is
// downloaded by the host over the real chrooted SFTP server, while on
// the server nothing under files/ has a bit for others and another local
// user cannot read it, whatever mode the file had in the fleet.
func TestSecretsReadableByTheHostOnly(t *testing.T) {
	s := newServer(t)
	s.writeFile(hostDir+"/flake.nix", "{ }\n")
	s.writeFile(hostDir+"/files/etc/secrets/db.password", "hunter2\n") // 0644 in the fleet
	s.publish()

	a := mustFetch(t, s.source(s.config()))
	if got := readStaged(t, a, "files/etc/secrets/db.password"); got != "hunter2\n" {
		t.Fatalf("the host downloaded %q", got)
	}
	u, err := user.Lookup(sftpUser)
	if err != nil {
		t.Fatal(err)
	}
	hostGID, _ := strconv.Atoi(u.Gid)
	var secret string
	err = filepath.WalkDir(filepath.Join(s.configDir(), "trees"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.Contains(p, "/files") {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode().Perm()&0o007 != 0 || st.Uid != 0 || int(st.Gid) != hostGID {
			t.Errorf("%s: mode %v owner %d:%d, want nothing for others, root:%d", p, fi.Mode(), st.Uid, st.Gid, hostGID)
		}
		if strings.HasSuffix(p, "db.password") {
			secret = p
		}
		return nil
	})
	if err != nil || secret == "" {
		t.Fatalf("published secret not found (%v)", err)
	}
	cat := exec.Command("cat", secret)
	cat.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cat.CombinedOutput(); err == nil || strings.Contains(string(out), "hunter2") {
		t.Errorf("user nobody read the host's secret: %q (%v)", out, err)
	}
}
