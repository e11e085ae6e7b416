package manifest

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/berth-nix/berth/source/verify"
)

func TestSignVerify(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	key, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	m := ForRefusal("h", Refusal{Reason: "r"}, 7, time.Unix(1e9, 0))
	data, _ := m.Encode()
	trusted, err := verify.ParseAllowedSigners("signers", append([]byte("admin "), ssh.MarshalAuthorizedKey(key.PublicKey())...))
	if err != nil {
		t.Fatal(err)
	}
	good, err := Sign(data, key)
	if err != nil {
		t.Fatal(err)
	}
	gitSig, _ := sshsig.Sign(bytes.NewReader(data), key, sshsig.HashSHA512, verify.NamespaceGit)
	tests := []struct {
		name      string
		data, sig []byte
		want      string
	}{
		{"good", data, good, "admin (ssh ED25519"},
		{"other content", append([]byte(" "), data...), good, "does not match the content"},
		{"commit signature reused", data, sshsig.Armor(gitSig), `for namespace "git", not "berth-manifest"`},
		{"garbage", data, []byte("-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"), "does not parse"},
	}
	for _, tt := range tests {
		id, err := m.Verify(tt.data, tt.sig, trusted)
		got := id
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if p := SignaturePath(data); !strings.HasPrefix(p, "signatures/") || !strings.HasSuffix(p, ".sig") || len(p) != len("signatures/")+64+4 {
		t.Errorf("got signature path %q", p)
	}
}
