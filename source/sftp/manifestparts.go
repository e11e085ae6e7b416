package sftpsource

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/sftp"

	"github.com/berth-nix/berth/source/manifest"
)

// readByParts rebuilds the published manifest from the parts the cached
// manifest (the one of the last fetch) already holds and reads only the
// others from the server, by offset. It answers false, and the caller
// reads the whole manifest, when there is no cache or no parts file, or
// when what it rebuilt does not hash to the sum the parts file gives (a
// publish in between, say). The result is checked like a whole read:
// parsed, and its signature verified when one is required.
//
// The parts file is a hint, never trusted: the result must hash to the
// sum it gives, and it always includes the server's own first part.
func (s *Source) readByParts(ss *session, name string) ([]byte, bool) {
	old, err := os.ReadFile(filepath.Join(s.cfg.StateDir, cacheName, manifest.Name))
	if err != nil {
		return nil, false
	}
	list, err := s.readSmall(ss, s.cfg.remote(manifest.PartsName), manifest.MaxPartsSize)
	if err != nil {
		return nil, false
	}
	sum, size, parts, err := manifest.ParsePartsFile(list)
	if err != nil || size > manifest.MaxSize {
		return nil, false
	}
	have := map[string][]byte{}
	for _, p := range manifest.Parts(old) {
		have[p.SHA256] = old[p.Offset : p.Offset+p.Length]
	}
	data := make([]byte, 0, size)
	err = ss.do(func() error {
		var f *sftp.File
		for i, p := range parts {
			// The first part, which holds the serial and the digest, is
			// always read from the server: the manifest there is what
			// counts (a replayed older one must be seen and refused).
			if b, ok := have[p.SHA256]; ok && i > 0 {
				data = append(data, b...)
				continue
			}
			if f == nil {
				if f, err = ss.sftp.Open(name); err != nil {
					return err
				}
				defer f.Close()
			}
			buf := make([]byte, p.Length)
			if _, err := f.ReadAt(buf, p.Offset); err != nil && err != io.EOF {
				return err
			}
			data = append(data, buf...)
		}
		return nil
	})
	got := sha256.Sum256(data)
	if err != nil || hex.EncodeToString(got[:]) != sum {
		return nil, false
	}
	return data, true
}

// readSmall reads a whole small file, at most max bytes of it.
func (s *Source) readSmall(ss *session, name string, max int64) ([]byte, error) {
	var data []byte
	err := ss.do(func() error {
		f, err := ss.sftp.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err = io.ReadAll(io.LimitReader(f, max))
		return err
	})
	return data, err
}
