// Package verify narrows who can make an agent apply a configuration: it
// wraps any source.Source and refuses every artifact that a trusted key
// did not sign.
//
// Whoever can write to the git or SFTP server would otherwise be root on
// every host. With a Verifier in front, they can only make the agent refuse
// (a Stalling error naming the revision and the signer found) or keep
// running what it runs.
//
// The package also reads the trust material the verifiers share:
// allowed_signers files (OpenSSH's format, as git uses it) and SSH
// signatures (see SSH).
package verify

import (
	"context"
	"fmt"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
)

// Verifier decides whether a fetched artifact was signed by a trusted key.
type Verifier interface {
	// Verify returns the identity that signed art, such as
	// "alice@example.com (ssh ED25519 SHA256:...)". An unsigned artifact,
	// an unknown signer or a bad signature is a Stalling error naming the
	// revision and the signer found, if any; trust material that cannot be
	// read is Transient (the revision may be fine).
	Verify(ctx context.Context, art source.Artifact) (string, error)
}

// Source hands over only artifacts its Verifier accepts, with Signer set.
type Source struct {
	Inner    source.Source
	Verifier Verifier
}

var _ source.Source = (*Source)(nil)

// Poll is the inner source's Poll: a revision name alone grants nothing.
func (s *Source) Poll(ctx context.Context) (string, error) { return s.Inner.Poll(ctx) }

// Probe is the inner source's (see source.Probe): reaching the server
// grants nothing either.
func (s *Source) Probe(ctx context.Context) error { return source.Probe(ctx, s.Inner) }

// Fetch fetches from the inner source and verifies the artifact before
// anyone evaluates it. A refused artifact is not returned.
func (s *Source) Fetch(ctx context.Context) (source.Artifact, error) {
	art, err := s.Inner.Fetch(ctx)
	if err != nil {
		return art, err
	}
	signer, err := s.Verifier.Verify(ctx, art)
	if err != nil {
		if fault.ClassOf(err) == fault.Unknown {
			err = fault.AsStalling(err)
		}
		return source.Artifact{Revision: art.Revision, Commit: art.Commit}, fmt.Errorf("refused %s: %w", art.Revision, err)
	}
	art.Signer = signer
	return art, nil
}

// String describes the inner source, when it describes itself.
func (s *Source) String() string {
	if str, ok := s.Inner.(fmt.Stringer); ok {
		return str.String() + " (signed revisions only)"
	}
	return "signed revisions only"
}
