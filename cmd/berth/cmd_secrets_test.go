package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/secrets"
	"github.com/berth-nix/berth/secrets/secretstest"
)

const secretMarker = "cli-secret-marker-8e2a"

// secretsFleet is a fleet repository with hosts a and b and one admin.
type secretsFleet struct {
	dir          string
	a, b, admin  secretstest.Key
	runtime, log string
}

func newSecretsFleet(t *testing.T) *secretsFleet {
	t.Helper()
	f := &secretsFleet{dir: t.TempDir(), a: secretstest.Keygen(t, "ed25519"), b: secretstest.Keygen(t, "rsa"), admin: secretstest.Keygen(t, "ed25519")}
	secretstest.WriteFile(t, filepath.Join(f.dir, secrets.HostKeysDir, "a.pub"), f.a.Pub+"\n")
	secretstest.WriteFile(t, filepath.Join(f.dir, secrets.HostKeysDir, "b.pub"), f.b.Pub+"\n")
	secretstest.WriteFile(t, filepath.Join(f.dir, secrets.AdminsFile), f.admin.Pub+"\n")
	f.runtime = t.TempDir()
	f.log = filepath.Join(t.TempDir(), "editor.log")
	t.Setenv("XDG_RUNTIME_DIR", f.runtime)
	t.Setenv("VISUAL", "")
	return f
}

// plain decrypts p with key k, failing the test when it cannot.
func plain(t *testing.T, k secretstest.Key, p string) string {
	t.Helper()
	var out bytes.Buffer
	if err := (&secrets.HostKey{Path: k.Priv}).DecryptFile(&out, p, p); err != nil {
		t.Fatalf("decrypt %s with %s: %v", p, k.Priv, err)
	}
	return out.String()
}

func cannotRead(t *testing.T, k secretstest.Key, p string) {
	t.Helper()
	var out bytes.Buffer
	if err := (&secrets.HostKey{Path: k.Priv}).DecryptFile(&out, p, p); err == nil {
		t.Errorf("%s decrypts with %s, want it not to", p, k.Priv)
	}
}

// editor writes a script that records the file it is given and where it
// lives into f.log, then runs body (with $1 the file) and exits with it.
func (f *secretsFleet) editor(t *testing.T, body string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "editor")
	script := "#!/bin/sh\nprintf '%s\\n' \"$1\" >>" + f.log + "\nstat -c %a \"$(dirname \"$1\")\" >>" + f.log + "\n" + body + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EDITOR", p)
}

// TestSecretsEncryptEditRekeyRoundTrip encrypts a file for host a with
// berth secrets encrypt, edits it through $EDITOR, and re-keys it after
// a's host key changed and after an admin was added: at each step the
// right keys read it, the others do not, and no plaintext is left behind.
func TestSecretsEncryptEditRekeyRoundTrip(t *testing.T) {
	f := newSecretsFleet(t)
	target := filepath.Join(f.dir, "hosts/a/files/etc/app/token.age")
	src := filepath.Join(t.TempDir(), "token")
	secretstest.WriteFile(t, src, secretMarker+"\n")
	if out, code := run(t, "secrets", "encrypt", "--repo", f.dir, "--from", src, target); code != exitOK {
		t.Fatalf("encrypt: exit %d\n%s", code, out)
	}
	if got := plain(t, f.a, target); got != secretMarker+"\n" {
		t.Errorf("host a reads %q", got)
	}
	if got := plain(t, f.admin, target); got != secretMarker+"\n" {
		t.Errorf("the admin reads %q", got)
	}
	cannotRead(t, f.b, target)

	f.editor(t, `echo second-line >>"$1"`)
	out, code := run(t, "secrets", "edit", "--repo", f.dir, "--identity", f.admin.Priv, target)
	if code != exitOK || !strings.Contains(out, "encrypted") {
		t.Fatalf("edit: exit %d\n%s", code, out)
	}
	if got := plain(t, f.a, target); got != secretMarker+"\nsecond-line\n" {
		t.Errorf("after edit host a reads %q", got)
	}
	f.checkNoPlaintextLeft(t, out)

	newA := secretstest.Keygen(t, "ed25519")
	secretstest.WriteFile(t, filepath.Join(f.dir, secrets.HostKeysDir, "a.pub"), newA.Pub+"\n")
	newAdmin := secretstest.Keygen(t, "rsa")
	secretstest.WriteFile(t, filepath.Join(f.dir, secrets.AdminsFile), f.admin.Pub+"\n"+newAdmin.Pub+"\n")
	if out, code := run(t, "secrets", "rekey", "--repo", f.dir, "--identity", f.admin.Priv, "--all"); code != exitOK || !strings.Contains(out, "a: re-keyed 1 file(s)") {
		t.Fatalf("rekey --all: exit %d\n%s", code, out)
	}
	for _, k := range []secretstest.Key{newA, newAdmin, f.admin} {
		if got := plain(t, k, target); got != secretMarker+"\nsecond-line\n" {
			t.Errorf("after rekey %s reads %q", k.Priv, got)
		}
	}
	cannotRead(t, f.a, target)
}

// checkNoPlaintextLeft checks that the editor saw a file in a 0700
// directory under $XDG_RUNTIME_DIR, that berth said where, and that the
// directory is gone.
func (f *secretsFleet) checkNoPlaintextLeft(t *testing.T, out string) {
	t.Helper()
	log, err := os.ReadFile(f.log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	file, mode := lines[len(lines)-2], lines[len(lines)-1]
	dir := filepath.Dir(file)
	if filepath.Dir(dir) != f.runtime || mode != "700" || !strings.Contains(out, dir) {
		t.Errorf("the editor got %s in a directory of mode %s; want a 0700 directory under %s, named in the output:\n%s", file, mode, f.runtime, out)
	}
	if ents, _ := os.ReadDir(f.runtime); len(ents) != 0 {
		t.Errorf("left behind in the runtime directory: %v", ents)
	}
}

// TestSecretsEditLeavesFileOnEditorFailure: an editor that fails, or
// changes nothing, leaves the encrypted file byte for byte as it was.
func TestSecretsEditLeavesFileOnEditorFailure(t *testing.T) {
	f := newSecretsFleet(t)
	target := filepath.Join(f.dir, "hosts/b/files/etc/psk.age")
	f.editor(t, `printf %s `+secretMarker+` >"$1"`)
	if out, code := run(t, "secrets", "edit", "--repo", f.dir, "--identity", f.admin.Priv, target); code != exitOK {
		t.Fatalf("edit of a new file: exit %d\n%s", code, out)
	}
	if got := plain(t, f.b, target); got != secretMarker {
		t.Fatalf("host b reads %q", got)
	}
	before, _ := os.ReadFile(target)
	for _, body := range []string{`echo changed >"$1"; exit 3`, `true`} {
		f.editor(t, body)
		out, _ := run(t, "secrets", "edit", "--repo", f.dir, "--identity", f.admin.Priv, target)
		if after, _ := os.ReadFile(target); !bytes.Equal(before, after) {
			t.Errorf("editor %q: the file changed\n%s", body, out)
		}
		if strings.Contains(out, secretMarker) {
			t.Errorf("editor %q: the output quotes the plaintext:\n%s", body, out)
		}
		f.checkNoPlaintextLeft(t, out)
	}
}

// TestSecretsRefusals: a file outside any host's directory, a host with
// no key, and a key that is not a recipient are refused by name.
func TestSecretsRefusals(t *testing.T) {
	f := newSecretsFleet(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"secrets", "encrypt", "--repo", f.dir, "--from", "/dev/null", filepath.Join(f.dir, "x.age")}, "in no host's directory"},
		{[]string{"secrets", "encrypt", "--repo", f.dir, "--from", "/dev/null", filepath.Join(f.dir, "hosts/a/files/x")}, "end in .age"},
		{[]string{"secrets", "encrypt", "--repo", f.dir, "--host", "c", "--from", "/dev/null", filepath.Join(f.dir, "hosts/c/files/x.age")}, "secrets/hosts/c.pub is missing"},
		{[]string{"secrets", "rekey", "--repo", f.dir, "--identity", f.admin.Priv}, "name the hosts, or --all"},
	}
	for _, c := range cases {
		if out, code := run(t, c.args...); code == exitOK || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want a refusal saying %q:\n%s", c.args, code, c.want, out)
		}
	}
	target := filepath.Join(f.dir, "hosts/a/files/x.age")
	if out, code := run(t, "secrets", "encrypt", "--repo", f.dir, "--from", "/dev/null", target); code != exitOK {
		t.Fatalf("encrypt: %s", out)
	}
	f.editor(t, "true")
	if out, code := run(t, "secrets", "rekey", "--repo", f.dir, "--identity", f.b.Priv, "a"); code == exitOK || !strings.Contains(out, "hosts/a/files/x.age: cannot decrypt") {
		t.Errorf("rekey with a key that is no recipient: exit %d\n%s", code, out)
	}
}
