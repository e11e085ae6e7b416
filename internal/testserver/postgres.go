package testserver

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/berth-nix/berth/internal/testenv"
)

// Postgres is a throwaway PostgreSQL cluster listening only on a unix
// socket in its own directory.
type Postgres struct {
	// DSN connects as the cluster's superuser to its "postgres" database.
	DSN string
	Dir string
}

// StartPostgres creates a cluster with initdb and starts it with pg_ctl
// (Debian's postgresql package), as the postgres system user when the
// test runs as root (the server refuses to run as root). It is stopped
// and removed by t.Cleanup.
func StartPostgres(t *testing.T) *Postgres {
	t.Helper()
	bin := pgBin(t)
	dir, err := os.MkdirTemp("", "berth-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cred := pgCredential(t, dir)
	data, sock := filepath.Join(dir, "data"), dir
	pg := func(name string, args ...string) {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	pg("initdb", "-D", data, "-U", "berth", "-A", "trust", "--no-sync", "-E", "UTF8")
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories=%s -c fsync=off", sock)
	pg("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start")
	t.Cleanup(func() { pg("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop") })
	return &Postgres{DSN: fmt.Sprintf("host=%s user=berth dbname=postgres sslmode=disable", sock), Dir: dir}
}

// pgBin finds the directory of initdb and pg_ctl.
func pgBin(t *testing.T) string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p)
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) == 0 {
		testenv.Missing(t, "PostgreSQL server not installed (apt-get install postgresql)")
	}
	return filepath.Dir(matches[len(matches)-1])
}

// pgCredential is who runs the server: the current user, or postgres
// (else nobody) under root, which then owns dir.
func pgCredential(t *testing.T, dir string) *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		u, err = user.Lookup("nobody")
	}
	if err != nil {
		t.Fatalf("no unprivileged user to run PostgreSQL as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}
