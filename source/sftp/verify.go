package sftpsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-nix/berth/internal/atomicfile"
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source/manifest"
	"github.com/berth-nix/berth/source/verify"
)

// serialName is the file under StateDir remembering the highest manifest
// serial accepted and its revision. It is kept apart from the agent's
// state file so that losing that file does not reopen the door to
// replays.
const serialName = "serial"

// checkSigned verifies m's signature and serial when signatures are
// required, returning the signer ("" when they are not).
func (s *Source) checkSigned(ctx context.Context, ss *session, m *manifest.Manifest) (string, error) {
	if s.cfg.AllowedSigners == "" {
		return "", nil
	}
	signers, err := verify.LoadAllowedSigners(s.cfg.AllowedSigners)
	if err != nil {
		return "", fault.Transientf("sftp signing policy: %w", err)
	}
	data, err := m.Encode()
	if err != nil {
		return "", fault.Stallingf("sftp source: encoding the manifest: %w", err)
	}
	sig, err := s.readSignature(ctx, ss, data)
	if errors.Is(err, fs.ErrNotExist) {
		return "", m.Unsigned(s.cfg.AllowedSigners)
	}
	if err != nil {
		return "", err
	}
	id, err := m.Verify(data, sig, signers)
	if err != nil {
		return "", fmt.Errorf("sftp source: %w", err)
	}
	return id, s.advanceSerial(m)
}

// readSignature reads the signature of the encoded manifest data.
func (s *Source) readSignature(ctx context.Context, ss *session, data []byte) ([]byte, error) {
	name := s.cfg.remote(manifest.SignaturePath(data))
	var sig []byte
	err := ss.do(func() error {
		f, err := ss.sftp.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		sig, err = io.ReadAll(io.LimitReader(f, manifest.MaxSignatureSize+1))
		return err
	})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, err
	case err != nil:
		return nil, s.netErr(ctx, "read "+name+" from", err, ss.conn)
	case len(sig) > manifest.MaxSignatureSize:
		return nil, fault.Stallingf("sftp source: %s: larger than %d bytes", name, manifest.MaxSignatureSize)
	}
	return sig, nil
}

// seenSerial is the highest serial accepted and the revision it named.
type seenSerial struct {
	Serial   uint64 `json:"serial"`
	Revision string `json:"revision"`
}

// advanceSerial refuses a serial below the highest accepted, or equal to
// it with other content, and records a higher one.
func (s *Source) advanceSerial(m *manifest.Manifest) error {
	p := filepath.Join(s.cfg.StateDir, serialName)
	var seen seenSerial
	data, err := os.ReadFile(p)
	if err == nil {
		err = json.Unmarshal(data, &seen)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fault.Transientf("sftp source: %s unreadable: %w; it guards against replayed manifests: repair or remove it", p, err)
	}
	switch {
	case m.Serial < seen.Serial:
		return fault.Stallingf("sftp source: manifest serial %d (%s) is older than serial %d already accepted: an old manifest replayed; publish again to move on",
			m.Serial, m.Revision(), seen.Serial)
	case m.Serial == seen.Serial && m.Revision() != seen.Revision:
		return fault.Stallingf("sftp source: manifest serial %d names %s, but the same serial named %s before: refused",
			m.Serial, m.Revision(), seen.Revision)
	case m.Serial == seen.Serial:
		return nil
	}
	out, err := json.Marshal(seenSerial{Serial: m.Serial, Revision: m.Revision()})
	if err == nil {
		err = os.MkdirAll(s.cfg.StateDir, 0o700)
	}
	if err == nil {
		err = atomicfile.WriteFile(p, append(out, '\n'), 0o600)
	}
	return localErr("recording the manifest serial", err)
}
