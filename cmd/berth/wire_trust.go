package main

import (
	"os"

	"github.com/berth-nix/berth/config"
	gitsource "github.com/berth-nix/berth/source/git"
)

// gitSigning is the trust.git signing policy: with key files configured,
// the git source takes only heads signed by a trusted key.
func gitSigning(c *config.Config) *gitsource.Signing {
	if !c.Trust.GitSigned() {
		return nil
	}
	return &gitsource.Signing{AllowedSignersFile: c.Trust.Git.AllowedSigners, KeyringFile: c.Trust.Git.OpenPGPKeyring}
}

// privateStateDir creates the state directory root-only, and makes an
// existing one root-only too: it holds the fetched repository, staged
// files/ trees and the record of what runs, none of it for other users.
func privateStateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}
