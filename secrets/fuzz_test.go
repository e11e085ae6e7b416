package secrets

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
)

// FuzzDecryptNamesNeverQuotes feeds arbitrary files to Decrypt: it never
// panics, and every error is one of the fixed texts naming the file, so
// no byte of the input can reach a log or a report through it.
func FuzzDecryptNamesNeverQuotes(f *testing.F) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	var ct bytes.Buffer
	if err := Encrypt(&ct, strings.NewReader("seed plaintext"), []age.Recipient{id.Recipient()}); err != nil {
		f.Fatal(err)
	}
	f.Add(ct.Bytes())
	f.Add(ct.Bytes()[:ct.Len()/2])
	f.Add([]byte("age-encryption.org/v1\n-> X25519 quoted-bytes\n"))
	f.Add([]byte("-----BEGIN AGE ENCRYPTED FILE-----\nquoted\n"))
	allowed := []string{
		"f.age: cannot decrypt: not encrypted to this key (re-key the file for it: berth secrets rekey)",
		"f.age: cannot decrypt: corrupt or truncated age file",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Decrypt(io.Discard, bytes.NewReader(data), "f.age", []age.Identity{id})
		if err != nil && err.Error() != allowed[0] && err.Error() != allowed[1] {
			t.Errorf("error %q is not one of the fixed texts", err)
		}
	})
}
