package secrets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepoHostOf: a file belongs to the host whose directory holds it,
// with the default layout and another one.
func TestRepoHostOf(t *testing.T) {
	f := newFleet(t, "ed25519")
	for _, c := range []struct{ hostDir, file, want string }{
		{"", "hosts/a/files/etc/x.age", "a"},
		{"", "hosts/b/x.age", "b"},
		{"machines/{hostname}/cfg", "machines/b/cfg/files/x.age", "b"},
		{"", "hosts/c/files/x.age", ""},
		{"", "hosts/ab/files/x.age", ""},
	} {
		r := Repo{Dir: f.Dir, HostDir: c.hostDir}
		got, err := r.HostOf(filepath.Join(f.Dir, c.file))
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("HostOf(%s) with %q: got %q, %v, want %q", c.file, c.hostDir, got, err, c.want)
		}
	}
}

// TestRecipientsRefusesBadHostNames: a host name is checked by the
// fleet's one rule before it becomes a path.
func TestRecipientsRefusesBadHostNames(t *testing.T) {
	f := newFleet(t, "ed25519")
	for _, host := range []string{"", ".", "..", "../a", "a/b", "-a"} {
		if _, err := f.Recipients(host); err == nil || !strings.Contains(err.Error(), "not a valid host name") {
			t.Errorf("Recipients(%q): got %v, want a refusal of the name", host, err)
		}
	}
	if _, err := f.Recipients("a"); err != nil {
		t.Errorf("Recipients(a): %v", err)
	}
}

// TestRekeyFailureLeavesFiles: a re-key that cannot decrypt a file (the
// admin's key is not one of its recipients) stops there, leaves that
// file byte for byte as it was, and leaves no temporary file behind.
func TestRekeyFailureLeavesFiles(t *testing.T) {
	f := newFleet(t, "ed25519")
	dir := filepath.Join(f.HostDirOf("a"), "files/etc")
	good, bad := filepath.Join(dir, "a.age"), filepath.Join(dir, "b.age")
	if err := f.Encrypt(good, "a", strings.NewReader("one")); err != nil {
		t.Fatal(err)
	}
	rs, err := ParseRecipients("k", strings.NewReader(f.A.Pub))
	if err != nil {
		t.Fatal(err)
	}
	var ct bytes.Buffer
	if err := Encrypt(&ct, strings.NewReader("two"), rs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, ct.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	done, err := f.Rekey("a", ids(t, f.Admin))
	if err == nil || !strings.Contains(err.Error(), "hosts/a/files/etc/b.age: cannot decrypt") || len(done) != 1 {
		t.Fatalf("got %v after %v, want a refusal naming b.age after a.age", err, done)
	}
	if after, _ := os.ReadFile(bad); !bytes.Equal(after, ct.Bytes()) {
		t.Error("b.age changed")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("left in %s: %v, want a.age and b.age only", dir, ents)
	}
}
