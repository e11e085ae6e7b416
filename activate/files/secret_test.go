package files

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/secrets"
	"github.com/berth-nix/berth/secrets/secretstest"
)

const filesMarker = "files-secret-marker-41c7"

// sealed is a tree node holding plaintext encrypted to keys.
func sealed(t *testing.T, plaintext string, keys ...secretstest.Key) node {
	t.Helper()
	var pubs []string
	for _, k := range keys {
		pubs = append(pubs, k.Pub)
	}
	rs, err := secrets.ParseRecipients("keys", strings.NewReader(strings.Join(pubs, "\n")))
	must(t, err)
	var ct bytes.Buffer
	must(t, secrets.Encrypt(&ct, strings.NewReader(plaintext), rs))
	return node{content: ct.String(), mode: 0o644}
}

// secretFx is an installer that decrypts with host key a.
func secretFx(t *testing.T) (*fx, secretstest.Key, secretstest.Key) {
	f := newFx(t)
	a, b := secretstest.Keygen(t, "ed25519"), secretstest.Keygen(t, "rsa")
	f.in.Decrypt = &secrets.HostKey{Path: a.Priv}
	return f, a, b
}

// TestEncryptedFileInstalledDecrypted: NAME.age installs as NAME with its
// plaintext, 0600 by default or the declared owner and mode; an
// unchanged secret plans nothing; a rotated one is written and restored
// by Restore; the stage, the plan and the backup after Commit never hold
// the plaintext.
func TestEncryptedFileInstalledDecrypted(t *testing.T) {
	f, a, _ := secretFx(t)
	admin := secretstest.Keygen(t, "ed25519")
	nodes := map[string]node{
		"etc/app/token.age": sealed(t, filesMarker+"-1", a, admin),
		"etc/app/db.age":    sealed(t, filesMarker+"-db", a),
		"etc/app/plain":     file("plain"),
	}
	meta := "/etc/app/db:\n  owner: \"65534\"\n  group: \"65534\"\n  mode: \"0440\"\n"
	f.deploy("a1", nodes, meta)
	must(t, f.in.Commit("a1"))
	st := f.state()
	want := map[string]string{
		"/etc/app/token": "file -rw------- 0:0 " + filesMarker + "-1",
		"/etc/app/db":    "file -r--r----- 65534:65534 " + filesMarker + "-db",
		"/etc/app/plain": "file -rw-r--r-- 0:0 plain",
	}
	for p, w := range want {
		if st[p] != w {
			t.Errorf("%s: got %q, want %q", p, st[p], w)
		}
	}
	if _, ok := st["/etc/app/token.age"]; ok {
		t.Error("the .age file itself was installed")
	}

	p, err := f.in.Plan(f.tree(nodes, meta))
	if err != nil || p.Changes() != 0 {
		t.Fatalf("the same secrets again: %d changes, %v; want none", p.Changes(), err)
	}

	nodes["etc/app/token.age"] = sealed(t, filesMarker+"-2", a)
	p = f.deploy("a2", nodes, meta)
	if got := f.state()["/etc/app/token"]; got != "file -rw------- 0:0 "+filesMarker+"-2" {
		t.Errorf("rotated: got %q", got)
	}
	if strings.Contains(strings.Join(p.Paths(), " ")+p.Summary(), filesMarker) {
		t.Errorf("the plan quotes the secret: %v", p.Paths())
	}
	must(t, f.in.Restore("a2"))
	if got := f.state()["/etc/app/token"]; got != "file -rw------- 0:0 "+filesMarker+"-1" {
		t.Errorf("restored: got %q, want the previous secret", got)
	}
	for _, dir := range []string{f.stage, f.in.StateDir} {
		if hit := secretstest.Grep(t, dir, filesMarker); hit != "" {
			t.Errorf("the plaintext is in %s", hit)
		}
	}
}

// TestEncryptedRefusals: a file for another host, a corrupt one, a
// plaintext where encryption is required, and a tree with both NAME and
// NAME.age are refused at plan time, naming the file and never quoting
// it, and nothing is installed.
func TestEncryptedRefusals(t *testing.T) {
	f, a, b := secretFx(t)
	corrupt := sealed(t, strings.Repeat(filesMarker, 3000), a)
	corrupt.content = corrupt.content[:len(corrupt.content)-1] + "x"
	cases := []struct {
		name    string
		nodes   map[string]node
		require []string
		want    string
	}{
		{"another host's", map[string]node{"etc/x": file("x"), "etc/b.age": sealed(t, filesMarker, b)}, nil, "files/etc/b.age: cannot decrypt: not encrypted to this key"},
		{"corrupt", map[string]node{"etc/x": file("x"), "etc/c.age": corrupt}, nil, "files/etc/c.age: cannot decrypt: corrupt or truncated"},
		{"not age at all", map[string]node{"etc/d.age": file(filesMarker)}, nil, "files/etc/d.age: cannot decrypt"},
		{"both", map[string]node{"etc/k": file("x"), "etc/k.age": sealed(t, filesMarker, a)}, nil, "files/etc/k.age: both it and files/etc/k are in the tree"},
		{"required directory", map[string]node{"etc/wireguard/wg0.key": file(filesMarker)}, []string{"/etc/wireguard"}, "files/etc/wireguard/wg0.key: is not encrypted, and trust.require_encrypted_files (/etc/wireguard) requires it"},
		{"required pattern", map[string]node{"etc/app/api.key": file(filesMarker)}, []string{"/etc/*/*.key"}, "files/etc/app/api.key: is not encrypted"},
		{"required everywhere", map[string]node{"etc/motd": file("hi")}, []string{"/"}, "files/etc/motd: is not encrypted"},
		{"link to plaintext", map[string]node{"etc/wireguard/wg0.key": {link: "../plain/k"}, "etc/plain/k": file(filesMarker)}, []string{"/etc/wireguard"}, "files/etc/wireguard/wg0.key: is not encrypted, and trust.require_encrypted_files (/etc/wireguard) requires it: encrypt files/etc/plain/k.age"},
	}
	before := f.state()
	for _, c := range cases {
		f.in.RequireEncrypted = c.require
		_, err := f.in.Plan(f.tree(c.nodes, ""))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), filesMarker) {
			t.Errorf("%s: got %v, want a refusal containing %q", c.name, err, c.want)
		}
		if cl := fault.ClassOf(err); cl != fault.Stalling {
			t.Errorf("%s: got class %v, want stalling", c.name, cl)
		}
	}
	if after := f.state(); !sameMap(before, after) {
		t.Errorf("the root changed: %v", after)
	}
	f.in.RequireEncrypted = []string{"/etc/wireguard"}
	f.deploy("ok", map[string]node{"etc/wireguard/wg0.key.age": sealed(t, "k", a), "etc/wireguard/wg1.key": {link: "../sealed/k"},
		"etc/sealed/k.age": sealed(t, "k1", a), "etc/motd": file("hi")}, "")
}

// TestEncryptedWithoutKey: with no decrypter, or a host key that cannot
// be read, an encrypted file is refused; the missing key is the
// machine's problem (transient), not the revision's.
func TestEncryptedWithoutKey(t *testing.T) {
	f, a, _ := secretFx(t)
	nodes := map[string]node{"etc/x.age": sealed(t, filesMarker, a)}
	f.in.Decrypt = &secrets.HostKey{Path: filepath.Join(t.TempDir(), "missing")}
	if _, err := f.in.Plan(f.tree(nodes, "")); err == nil || fault.ClassOf(err) != fault.Transient || !strings.Contains(err.Error(), "host key") {
		t.Errorf("missing host key: got %v (%v), want a transient error about the host key", err, fault.ClassOf(err))
	}
	f.in.Decrypt = nil
	if _, err := f.in.Plan(f.tree(nodes, "")); err == nil || !strings.Contains(err.Error(), "files/etc/x.age: is encrypted, but this agent has no key") {
		t.Errorf("no decrypter: got %v", err)
	}
}
