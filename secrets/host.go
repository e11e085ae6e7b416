package secrets

import (
	"fmt"
	"io"
	"os"
	"sync"

	"filippo.io/age"
)

// HostKey is the key an agent decrypts its files with: the machine's SSH
// host key, read once, when the first encrypted file needs it (a host
// whose tree holds none never reads it).
type HostKey struct {
	// Path is the private key; DefaultHostKey when empty.
	Path string

	once sync.Once
	ids  []age.Identity
	err  error
}

func (k *HostKey) identities() ([]age.Identity, error) {
	k.once.Do(func() {
		p := k.Path
		if p == "" {
			p = DefaultHostKey
		}
		k.ids, k.err = LoadIdentity(p, nil)
		if k.err != nil {
			k.err = fmt.Errorf("the host key for encrypted files: %w", k.err)
		}
	})
	return k.ids, k.err
}

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

// EqualFile reports whether the age file at src decrypts to the content
// of the file at cur. It fails, naming the file, when src cannot be
// decrypted, so it doubles as the check that it can.
func (k *HostKey) EqualFile(src, name, cur string) (bool, error) {
	ids, err := k.identities()
	if err != nil {
		return false, err
	}
	f, err := os.Open(src)
	if err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	c, err := os.Open(cur)
	if err != nil {
		return false, err
	}
	defer c.Close()
	return Equal(f, name, ids, c)
}
