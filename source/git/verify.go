package gitsource

import (
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source/verify"
)

// Signing says whose commit signatures are trusted. At least one file must
// be set. Both are read again for every verification, so a rotated key
// takes effect at the next fetch.
type Signing struct {
	// AllowedSignersFile trusts SSH keys, in git's allowed_signers format
	// (see verify.AllowedSigners); signatures must be in namespace "git".
	AllowedSignersFile string
	// KeyringFile trusts OpenPGP keys: an armored public keyring.
	KeyringFile string
}

// commitVerifier checks that a head commit carries a valid signature by
// a trusted key. Only that commit is checked: the head is what gets
// applied, whoever made the commits before.
type commitVerifier struct {
	pol Signing
}

// newCommitVerifier reads the trust files once, so that a policy that
// cannot work fails at start-up.
func newCommitVerifier(pol Signing) (*commitVerifier, error) {
	if pol.AllowedSignersFile == "" && pol.KeyringFile == "" {
		return nil, fmt.Errorf("git signing policy: no allowed signers file and no OpenPGP keyring")
	}
	v := &commitVerifier{pol: pol}
	if _, err := v.allowedSigners(); err != nil {
		return nil, err
	}
	if _, err := v.keyring(); err != nil {
		return nil, err
	}
	return v, nil
}

// checkSigned returns the identity that signed c when signatures are
// required ("" when they are not). An unsigned commit, an untrusted
// signer, a signature that does not match and a signature of a kind no
// trusted key can make are Stalling, naming the revision, the commit and
// the signer found; trust files that cannot be read are Transient.
func (s *Source) checkSigned(c *object.Commit) (string, error) {
	if s.verifier == nil {
		return "", nil
	}
	id, err := s.verifier.verifyCommit(c)
	if err != nil {
		if fault.ClassOf(err) == fault.Unknown {
			err = fault.AsStalling(err)
		}
		return "", fmt.Errorf("refused %s: commit %s: %w", s.revision(c.Hash), c.Hash, err)
	}
	return id, nil
}

func (v *commitVerifier) verifyCommit(c *object.Commit) (string, error) {
	sig := strings.TrimSpace(c.PGPSignature)
	switch {
	case sig == "":
		return "", fault.Stallingf("not signed, and %s requires a signature by a trusted key", v.trusted())
	case strings.HasPrefix(sig, verify.SSHArmorPrefix):
		return v.verifySSH(c, sig)
	case strings.HasPrefix(sig, verify.OpenPGPArmorPrefix):
		return v.verifyOpenPGP(c, sig)
	}
	first, _, _ := strings.Cut(sig, "\n")
	return "", fault.Stallingf("signed in an unsupported format (%q); %s trusts SSH and OpenPGP signatures only", first, v.trusted())
}

func (v *commitVerifier) verifySSH(c *object.Commit, sig string) (string, error) {
	signers, err := v.allowedSigners()
	if err != nil {
		return "", err
	}
	if signers == nil {
		return "", fault.Stallingf("signed with an SSH key, but only OpenPGP keys (%s) are trusted", v.pol.KeyringFile)
	}
	payload, err := unsignedPayload(c)
	if err != nil {
		return "", err
	}
	return verify.SSH(payload, sig, verify.NamespaceGit, signers, c.Committer.When)
}

func (v *commitVerifier) verifyOpenPGP(c *object.Commit, sig string) (string, error) {
	ring, err := v.keyring()
	if err != nil {
		return "", err
	}
	if ring == "" {
		return "", fault.Stallingf("signed by %s, but only SSH keys (%s) are trusted", verify.OpenPGPIssuer(sig), v.pol.AllowedSignersFile)
	}
	e, err := c.Verify(ring)
	if err != nil {
		return "", fault.Stallingf("signed by %s, which does not verify against %s: %v", verify.OpenPGPIssuer(sig), v.pol.KeyringFile, err)
	}
	return verify.OpenPGPIdentity(e), nil
}

// unsignedPayload is what the commit's signature covers: the raw commit
// object without its signature header.
func unsignedPayload(c *object.Commit) ([]byte, error) {
	var o plumbing.MemoryObject
	if err := c.EncodeWithoutSignature(&o); err != nil {
		return nil, fault.Transientf("encoding commit %s: %w", c.Hash, err)
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, fault.Transientf("encoding commit %s: %w", c.Hash, err)
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// allowedSigners reads the SSH trust file; nil when none is configured.
func (v *commitVerifier) allowedSigners() (*verify.AllowedSigners, error) {
	if v.pol.AllowedSignersFile == "" {
		return nil, nil
	}
	a, err := verify.LoadAllowedSigners(v.pol.AllowedSignersFile)
	if err != nil {
		return nil, fault.Transientf("git signing policy: %w", err)
	}
	return a, nil
}

// keyring reads the OpenPGP trust file; "" when none is configured.
func (v *commitVerifier) keyring() (string, error) {
	if v.pol.KeyringFile == "" {
		return "", nil
	}
	ring, err := verify.LoadKeyring(v.pol.KeyringFile)
	if err != nil {
		return "", fault.Transientf("git signing policy: %w", err)
	}
	return ring, nil
}

// trusted names the trust files, for errors.
func (v *commitVerifier) trusted() string {
	var files []string
	for _, f := range []string{v.pol.AllowedSignersFile, v.pol.KeyringFile} {
		if f != "" {
			files = append(files, f)
		}
	}
	return "the signing policy (" + strings.Join(files, ", ") + ")"
}

// commitObject reads commit hash from the local repository, which Fetch
// filled.
func (s *Source) commitObject(hash string) (*object.Commit, error) {
	h, _, err := parseHashes(hash, hash)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.open()
	if err != nil {
		return nil, err
	}
	c, err := r.CommitObject(h)
	if err != nil {
		return nil, s.localErr("reading commit "+hash, err)
	}
	return c, nil
}
