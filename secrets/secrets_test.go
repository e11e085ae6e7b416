package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/berth-nix/berth/secrets/secretstest"
)

const marker = "s3cr3t-marker-5d1c"

func TestEncryptDecryptWithSSHKeys(t *testing.T) {
	for _, typ := range []string{"ed25519", "rsa"} {
		t.Run(typ, func(t *testing.T) {
			host, other, admin := keygen(t, typ), keygen(t, typ), keygen(t, "ed25519")
			rs, err := ParseRecipients("keys", strings.NewReader(host.Pub+"\n"+admin.Pub+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			var ct bytes.Buffer
			if err := Encrypt(&ct, strings.NewReader(marker), rs); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(ct.Bytes(), []byte(marker)) {
				t.Fatal("the ciphertext contains the plaintext")
			}
			for _, k := range []keypair{host, admin} {
				var out bytes.Buffer
				if err := Decrypt(&out, bytes.NewReader(ct.Bytes()), "x.age", ids(t, k)); err != nil || out.String() != marker {
					t.Errorf("decrypt with %s: got %q, %v, want the plaintext", k.Priv, out.String(), err)
				}
			}
			err = Check(bytes.NewReader(ct.Bytes()), "files/etc/x.age", ids(t, other))
			var de *DecryptError
			var nomatch *age.NoIdentityMatchError
			if !errors.As(err, &de) || !errors.As(err, &nomatch) || !strings.Contains(err.Error(), "files/etc/x.age") {
				t.Errorf("another host's key: got %v, want a DecryptError naming files/etc/x.age", err)
			}
		})
	}
}

func TestCorruptFileNamedNeverQuoted(t *testing.T) {
	k := keygen(t, "ed25519")
	rs, _ := ParseRecipients("keys", strings.NewReader(k.Pub))
	var ct bytes.Buffer
	if err := Encrypt(&ct, strings.NewReader(strings.Repeat(marker, 10000)), rs); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"flipped":   flip(ct.Bytes(), ct.Len()-100),
		"truncated": ct.Bytes()[:ct.Len()-17],
		"garbage":   []byte(marker + "\n"),
		"empty":     nil,
	}
	for name, data := range cases {
		err := Check(bytes.NewReader(data), "files/etc/db.age", ids(t, k))
		if err == nil || !strings.Contains(err.Error(), "files/etc/db.age") || strings.Contains(err.Error(), marker) {
			t.Errorf("%s: got %v, want an error naming the file and not quoting it", name, err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

func TestEqual(t *testing.T) {
	k := keygen(t, "ed25519")
	rs, _ := ParseRecipients("keys", strings.NewReader(k.Pub))
	var ct bytes.Buffer
	if err := Encrypt(&ct, strings.NewReader(marker), rs); err != nil {
		t.Fatal(err)
	}
	for cur, want := range map[string]bool{marker: true, marker + "x": false, marker[:3]: false, "": false} {
		got, err := Equal(bytes.NewReader(ct.Bytes()), "x.age", ids(t, k), strings.NewReader(cur))
		if err != nil || got != want {
			t.Errorf("Equal(%q): got %v, %v, want %v", cur, got, err, want)
		}
	}
}

func TestParseRecipientsNamesTheLine(t *testing.T) {
	_, err := ParseRecipients("secrets/admins.pub", strings.NewReader("# ok\n\nssh-dss AAAA\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "secrets/admins.pub:3:") {
		t.Errorf("got %v, want an error at secrets/admins.pub:3", err)
	}
	id, _ := age.GenerateX25519Identity()
	rs, err := ParseRecipients("x", strings.NewReader(id.Recipient().String()))
	if err != nil || len(rs) != 1 {
		t.Errorf("age1 recipient: got %d, %v", len(rs), err)
	}
}

func TestLoadIdentity(t *testing.T) {
	dir := t.TempDir()
	id, _ := age.GenerateX25519Identity()
	agePath := filepath.Join(dir, "age.key")
	secretstest.WriteFile(t, agePath, "# created: now\n"+id.String()+"\n")
	if ids, err := LoadIdentity(agePath, nil); err != nil || len(ids) != 1 {
		t.Errorf("age identity: got %d, %v", len(ids), err)
	}
	bad := filepath.Join(dir, "bad")
	secretstest.WriteFile(t, bad, marker)
	if _, err := LoadIdentity(bad, nil); err == nil || strings.Contains(err.Error(), marker) || !strings.Contains(err.Error(), bad) {
		t.Errorf("not a key: got %v, want an error naming the file only", err)
	}
	if _, err := LoadIdentity(filepath.Join(dir, "none"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing key: got %v, want ErrNotExist", err)
	}
}

func TestHostKeyDecryptsFile(t *testing.T) {
	f := newFleet(t, "ed25519")
	src := filepath.Join(f.HostDirOf("a"), "files/etc/x.age")
	if err := f.Encrypt(src, "a", strings.NewReader(marker)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := (&HostKey{Path: f.A.Priv}).DecryptFile(&out, src, "files/etc/x.age"); err != nil || out.String() != marker {
		t.Errorf("host a: got %q, %v", out.String(), err)
	}
	cur := filepath.Join(t.TempDir(), "cur")
	secretstest.WriteFile(t, cur, marker)
	curFile, err := os.Open(cur)
	if err != nil {
		t.Fatal(err)
	}
	defer curFile.Close()
	if same, err := (&HostKey{Path: f.A.Priv}).EqualFile(src, "x", curFile); !same || err != nil {
		t.Errorf("EqualFile: got %v, %v, want true", same, err)
	}
	err = (&HostKey{Path: f.B.Priv}).DecryptFile(&out, src, "files/etc/x.age")
	if err == nil || !strings.Contains(err.Error(), "files/etc/x.age") {
		t.Errorf("host b: got %v, want a refusal naming the file", err)
	}
	err = (&HostKey{Path: filepath.Join(t.TempDir(), "nokey")}).DecryptFile(&out, src, "x")
	if err == nil || !strings.Contains(err.Error(), "host key") {
		t.Errorf("missing host key: got %v", err)
	}
}
