package main

import (
	"os"

	"github.com/berth-nix/berth/config"
	gitsource "github.com/berth-nix/berth/source/git"
	sftpsource "github.com/berth-nix/berth/source/sftp"
	"github.com/berth-nix/berth/source/verify"
)

// withGitSigning puts the trust.git signing policy in front of s: with
// key files configured, only heads signed by a trusted key come through.
// Unreadable or empty trust files fail here, at start-up.
func withGitSigning(c *config.Config, s *gitsource.Source) (describedSource, error) {
	if !c.Trust.GitSigned() {
		return s, nil
	}
	v, err := s.Verifier(gitsource.Signing{
		AllowedSignersFile: c.Trust.Git.AllowedSigners,
		KeyringFile:        c.Trust.Git.OpenPGPKeyring,
	})
	if err != nil {
		return nil, err
	}
	return &verify.Source{Inner: s, Verifier: v}, nil
}

// withSFTPSigning applies trust.sftp: with an allowed_signers file, only
// manifests signed by a listed key, with a serial never lower than one
// already accepted, come through.
func withSFTPSigning(c *config.Config, s *sftpsource.Source) error {
	if c.Trust.SFTP.AllowedSigners == "" {
		return nil
	}
	return s.RequireSigned(c.Trust.SFTP.AllowedSigners)
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
