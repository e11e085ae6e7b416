package sftpsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/sshpin"
)

// netErr classifies a failed connection or request. Every such failure is
// Transient: the server may come back, a rotated key may be installed, a
// changed host key may be pinned again. The message names the server and
// says what the failure means.
func (s *Source) netErr(ctx context.Context, op string, err error, conn *watchedConn) error {
	where := s.cfg.User + "@" + s.cfg.Address
	switch {
	case errors.Is(err, sshpin.ErrHostKey):
		return fault.Transientf("sftp source: %s %s: %w", op, where, err)
	case strings.Contains(err.Error(), "ssh: unable to authenticate"):
		// x/crypto/ssh reports a refused key only in its message.
		return fault.Transientf("sftp source: %s %s: the server refused our key (rotated or revoked?): %w", op, where, err)
	case conn.stalled():
		return fault.Transientf("sftp source: %s %s: no data from the server for %s, connection dropped: %w", op, where, s.cfg.IOTimeout, err)
	case ctx.Err() != nil:
		return fault.Transientf("sftp source: %s %s: gave up after %s: %w", op, where, s.cfg.Timeout, err)
	}
	return fault.Transientf("sftp source: %s %s: %w", op, where, err)
}

// localErr classifies a failure of the local disk as Transient; nil
// stays nil.
func localErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fault.AsTransient(fmt.Errorf("sftp source: %s: %w", op, err))
}
