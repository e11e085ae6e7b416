package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// DefaultHostKey is the SSH host key the agent decrypts with.
const DefaultHostKey = "/etc/ssh/ssh_host_ed25519_key"

// LoadIdentity reads a private key: an OpenSSH private key (ed25519 or
// RSA) or an age identity file (AGE-SECRET-KEY-1...). An SSH key
// protected by a passphrase asks passphrase for it when it is first
// needed; passphrase may be nil for keys that must not have one (a host
// key). Errors name the file, never its content.
func LoadIdentity(path string, passphrase func() ([]byte, error)) ([]age.Identity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the key: %w", err)
	}
	if bytes.Contains(data, []byte("AGE-SECRET-KEY-1")) {
		ids, err := age.ParseIdentities(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: not a valid age identity file", path)
		}
		return ids, nil
	}
	id, err := agessh.ParseIdentity(data)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing) && passphrase != nil && missing.PublicKey != nil:
		enc, err := agessh.NewEncryptedSSHIdentity(missing.PublicKey, data, passphrase)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return []age.Identity{enc}, nil
	case errors.As(err, &missing):
		return nil, fmt.Errorf("%s: the key is protected by a passphrase", path)
	case err != nil:
		return nil, fmt.Errorf("%s: not an ed25519 or RSA OpenSSH private key or an age identity", path)
	}
	return []age.Identity{id}, nil
}
