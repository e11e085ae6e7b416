package secrets

import (
	"fmt"
	"io"
	"os"

	"filippo.io/age"
)

// HostKey is the key an agent decrypts its files with: the machine's SSH
// host key. It is read each time a file is decrypted, so a host whose
// tree holds no encrypted file never needs it, and a replaced host key
// is used at once.
type HostKey struct {
	// Path is the private key; DefaultHostKey when empty.
	Path string
}

func (k *HostKey) identities() ([]age.Identity, error) {
	p := k.Path
	if p == "" {
		p = DefaultHostKey
	}
	ids, err := LoadIdentity(p, nil)
	if err != nil {
		return nil, &KeyError{err}
	}
	return ids, nil
}

// KeyError is a host key that cannot be used: missing, unreadable or not
// a key. It is the machine's problem, not the file's.
type KeyError struct{ Err error }

func (e *KeyError) Error() string { return "the host key for encrypted files: " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// DecryptFile streams the plaintext of the age file at src into dst;
// name is how errors call the file.
func (k *HostKey) DecryptFile(dst io.Writer, src, name string) error {
	ids, err := k.identities()
	if err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	return Decrypt(dst, f, name, ids)
}

// EqualFile reports whether the age file at src decrypts to what cur
// holds (read to its end). It fails, naming the file, when src cannot
// be decrypted, so it doubles as the check that it can. The caller opens
// cur, so it decides how the path is resolved.
func (k *HostKey) EqualFile(src, name string, cur io.Reader) (bool, error) {
	ids, err := k.identities()
	if err != nil {
		return false, err
	}
	f, err := os.Open(src)
	if err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	return Equal(f, name, ids, cur)
}
