package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-nix/berth/source/manifest"
)

// signed writes the signature of m beside the manifests when o.Sign is
// set (see manifest.SignaturesDir), before m is put in place, and removes
// signatures of manifests other than m and prev. An already signed m is
// left alone, so a host whose configuration did not change gains a
// signature the first time publish runs with a key. On failure r becomes
// Failed.
func (o Options) signed(r Result, dir string, m, prev *manifest.Manifest) Result {
	if o.Sign == nil || o.DryRun {
		return r
	}
	if err := o.writeSignature(dir, m); err != nil {
		r.Action, r.Reason = Failed, err.Error()
		return r
	}
	if err := pruneSignatures(dir, m, prev); err != nil {
		r.Reason = strings.TrimPrefix(r.Reason+"; ", "; ") + "pruning old signatures failed: " + err.Error()
	}
	return r
}

func (o Options) writeSignature(dir string, m *manifest.Manifest) error {
	data, err := m.Encode()
	if err != nil {
		return err
	}
	p := filepath.Join(dir, manifest.SignaturePath(data))
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	sig, err := manifest.Sign(data, o.Sign)
	if err != nil {
		return err
	}
	acc, err := accessOf(dir)
	if err != nil {
		return err
	}
	sigs := filepath.Dir(p)
	err = os.MkdirAll(sigs, 0o700)
	if err == nil {
		err = acc.apply(sigs, fs.ModeDir)
	}
	if err == nil {
		err = writeFileAs(p, sig, acc)
	}
	if err != nil {
		return fmt.Errorf("writing the signature of %s: %w", m.Revision(), err)
	}
	return syncDir(sigs)
}

// writeFileAs replaces p with data through a synced temporary file in the
// same directory that has the published access before it is renamed into
// place; the caller syncs the directory.
func writeFileAs(p string, data []byte, acc access) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = acc.apply(tmp.Name(), 0)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	return err
}

// pruneSignatures removes signature files of manifests other than those
// given (nil ones are skipped).
func pruneSignatures(dir string, keep ...*manifest.Manifest) error {
	want := map[string]bool{}
	for _, m := range keep {
		if m == nil {
			continue
		}
		if data, err := m.Encode(); err == nil {
			want[filepath.Base(manifest.SignaturePath(data))] = true
		}
	}
	sigs := filepath.Join(dir, manifest.SignaturesDir)
	list, err := os.ReadDir(sigs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, de := range list {
		if !want[de.Name()] && strings.HasSuffix(de.Name(), ".sig") {
			if err := os.Remove(filepath.Join(sigs, de.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
