package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/crypto/ssh"
)

// loadSignKey reads the OpenSSH private key berth publish --sign-key
// signs manifests with; "" means no signing. A passphrase-protected key
// is refused: publish runs unattended.
func loadSignKey(path string) (ssh.Signer, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--sign-key: %w", err)
	}
	key, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("--sign-key %s: the key is passphrase-protected; use a key without a passphrase kept where only the publisher can read it", path)
	}
	if err != nil {
		return nil, fmt.Errorf("--sign-key %s: not an SSH private key: %v", path, err)
	}
	return key, nil
}
