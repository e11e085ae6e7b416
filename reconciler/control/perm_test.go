package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestMain doubles as the probe that tests run as other users: with
// BERTH_CONTROL_PROBE="METHOD PATH SOCKET" it makes one request and prints
// the HTTP status, or "unreachable".
func TestMain(m *testing.M) {
	if spec := os.Getenv("BERTH_CONTROL_PROBE"); spec != "" {
		fmt.Print(probe(strings.Fields(spec)))
		return
	}
	os.Exit(m.Run())
}

func probe(f []string) string {
	err := NewClient(f[2]).do(context.Background(), f[0], f[1], nil, nil)
	var ae *APIError
	switch {
	case err == nil:
		return "200"
	case errors.As(err, &ae):
		return strconv.Itoa(ae.Code)
	case errors.Is(err, ErrUnreachable):
		return "unreachable"
	}
	return err.Error()
}

func TestPermissionsOfRealUsers(t *testing.T) {
	requireRoot(t)
	sfx := strconv.Itoa(rand.IntN(1e6))
	group := "bctl" + sfx
	mustRun(t, "groupadd", group)
	t.Cleanup(func() { exec.Command("groupdel", group).Run() })
	member, outsider := newUser(t, "bmem"+sfx, group), newUser(t, "bout"+sfx, "")
	probeBin := copyTestBinary(t)
	path := serve(t, &fakeBackend{}, group)
	checkSocketMode(t, path, group)

	tests := []struct {
		who          *user.User
		method, path string
		want         string
	}{
		{member, "GET", "/v1/status", "200"},
		{member, "GET", "/v1/history", "200"},
		{member, "POST", "/v1/trigger", "403"},
		{member, "POST", "/v1/pause", "403"},
		{member, "POST", "/v1/postpone", "200"},
		{outsider, "POST", "/v1/postpone", "unreachable"},
		{outsider, "GET", "/v1/status", "unreachable"},
	}
	for _, tt := range tests {
		if got := probeAs(t, probeBin, tt.who, tt.method+" "+tt.path+" "+path); got != tt.want {
			t.Errorf("%s %s %s: got %v, want %v", tt.who.Username, tt.method, tt.path, got, tt.want)
		}
	}
	// Even if the file mode were loosened, the server decides from the
	// peer's credentials.
	os.Chmod(path, 0o666)
	if got := probeAs(t, probeBin, outsider, "GET /v1/status "+path); got != "403" {
		t.Errorf("outsider on a world-writable socket: got %v, want 403", got)
	}
}

func TestSocketIsPrivateWithoutTheGroup(t *testing.T) {
	requireRoot(t)
	path := serve(t, &fakeBackend{}, "no-such-group-berth")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode: got %v, want 0600", got)
	}
}

func checkSocketMode(t *testing.T, path, group string) {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if got := fi.Mode().Perm(); got != 0o660 {
		t.Errorf("mode: got %v, want 0660", got)
	}
	if got, want := int(st.Gid), lookupGID(group); got != want || st.Uid != 0 {
		t.Errorf("owner: got %d:%d, want 0:%d", st.Uid, got, want)
	}
}

// newUser adds a system user, in group as a supplementary group when given.
func newUser(t *testing.T, name, group string) *user.User {
	args := []string{"--system", "--no-create-home", "--shell", "/bin/false"}
	if group != "" {
		args = append(args, "-G", group)
	}
	mustRun(t, "useradd", append(args, name)...)
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func probeAs(t *testing.T, bin string, u *user.User, spec string) string {
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	ids, _ := u.GroupIds()
	for _, g := range ids {
		n, _ := strconv.Atoi(g)
		cred.Groups = append(cred.Groups, uint32(n))
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"BERTH_CONTROL_PROBE=" + spec}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe as %s: %v: %s", u.Username, err, out)
	}
	return string(out)
}

// copyTestBinary puts this test binary where other users can run it.
func copyTestBinary(t *testing.T) string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "berth-probe-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, "probe")
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

func mustRun(t *testing.T, name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}
