package gitsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/sshpin"
)

// netErr classifies a failed network operation. Every such failure is
// Transient: the remote may come back, a rotated token may be installed, a
// changed host key may be pinned again. The message names the remote
// (credentials stripped) and says what the failure means.
func (s *Source) netErr(ctx context.Context, op string, err error) error {
	remote := redactURL(s.cfg.URL)
	switch {
	case errors.Is(err, sshpin.ErrHostKey):
		return fault.Transientf("git source: %s %s: %w", op, remote, err)
	case errors.Is(err, transport.ErrAuthenticationRequired),
		errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrInvalidAuthMethod),
		// x/crypto/ssh reports a refused key only in its message.
		strings.Contains(err.Error(), "ssh: unable to authenticate"):
		return fault.Transientf("git source: %s %s: the remote refused our credentials (token or deploy key rotated or revoked?): %w", op, remote, err)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fault.Transientf("git source: %s %s: repository not found (or not visible with our credentials): %w", op, remote, err)
	case ctx.Err() != nil:
		return fault.Transientf("git source: %s %s: gave up after %s: %w", op, remote, s.cfg.Timeout, err)
	}
	return fault.Transientf("git source: %s %s: %w", op, remote, err)
}

// localErr classifies a failure of the local repository as Transient.
func (s *Source) localErr(op string, err error) error {
	return fault.AsTransient(fmt.Errorf("git source: %s in %s: %w", op, s.cfg.StateDir, err))
}
