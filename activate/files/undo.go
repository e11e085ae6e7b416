package files

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/berth-nix/berth/internal/atomicfile"
	"github.com/berth-nix/berth/internal/fault"
)

// Commit makes attempt id's install permanent: its manifest becomes the
// manifest, then its backup is dropped. Committing an attempt that has no
// backup (nothing installed, or already committed) does nothing.
func (in *Installer) Commit(id string) error {
	dir := in.backupDir(id)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	err := os.Rename(filepath.Join(dir, nextManifest), in.manifestPath())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fault.Transientf("files: record the manifest: %w", err)
	}
	if err := atomicfile.SyncDir(in.StateDir); err != nil {
		return fault.Transientf("files: %w", err)
	}
	return in.drop(dir)
}

// Restore puts every path attempt id touched back as it was before
// Install, in reverse order, and then drops the backup. It is idempotent:
// an interrupted Restore is finished by the next one. An attempt with no
// backup, or one already committed, is left alone. When a path cannot be
// restored the others still are, and the backup is kept for another try.
func (in *Installer) Restore(id string) error {
	dir := in.backupDir(id)
	if _, err := os.Stat(filepath.Join(dir, nextManifest)); errors.Is(err, fs.ErrNotExist) {
		return in.drop(dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, undoFile))
	if err != nil {
		return fault.Transientf("files: read the backup of %s: %w", id, err)
	}
	var undos []undo
	if err := json.Unmarshal(data, &undos); err != nil {
		return fault.Transientf("files: backup of %s is corrupt: %w", id, err)
	}
	var errs []error
	for i := len(undos) - 1; i >= 0; i-- {
		if err := in.restore(dir, undos[i]); err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", undos[i].Path, err))
		}
	}
	if len(errs) > 0 {
		return fault.AsTransient(fmt.Errorf("files: %w", errors.Join(errs...)))
	}
	return in.drop(dir)
}

// Recover finishes what crashed agents left: half-written backups are
// removed (nothing was changed yet), and complete ones that were neither
// committed nor restored are restored. It returns the attempt ids it
// restored. Run it only when no attempt is in progress.
func (in *Installer) Recover() ([]string, error) {
	list, err := os.ReadDir(in.backupRoot())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fault.Transientf("files: %w", err)
	}
	names := make([]string, 0, len(list))
	for _, de := range list {
		names = append(names, de.Name())
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	var ids []string
	for _, name := range names {
		if strings.HasSuffix(name, tmpSuffix) {
			os.RemoveAll(filepath.Join(in.backupRoot(), name))
			continue
		}
		if err := in.Restore(name); err != nil {
			return ids, err
		}
		ids = append(ids, name)
	}
	return ids, nil
}

func (in *Installer) drop(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fault.Transientf("files: drop the backup: %w", err)
	}
	if err := atomicfile.SyncDir(filepath.Dir(dir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fault.Transientf("files: %w", err)
	}
	return nil
}

// restore makes one path look as u recorded, replacing whatever is there.
func (in *Installer) restore(dir string, u undo) error {
	l, err := in.locate(u.Path)
	if u.Was == wasAbsent && (errors.Is(err, errOnTheWay) || errors.Is(err, fs.ErrNotExist)) {
		return nil // its directory is gone too: nothing berth made is there
	}
	if err != nil {
		return err
	}
	defer l.close()
	l.removeTemp()
	if err := clearFor(l, u.Was); err != nil {
		return err
	}
	w := want{entry: entry{Path: u.Path, Kind: u.Was, Mode: u.Mode}, UID: u.UID, GID: u.GID}
	switch u.Was {
	case KindFile:
		return writeFile(l, filepath.Join(dir, u.Blob), w)
	case KindLink:
		return writeLink(l, u.Link, u.UID, u.GID)
	case KindDir:
		_, ok, err := l.lstat()
		switch {
		case err != nil:
			return err
		case ok:
			return setAttrs(l, w)
		}
		return mkdir(l, w)
	}
	return nil
}

// clearFor removes what is at l unless it can be replaced in place by a
// path of kind was: a file or link by rename, a directory by itself.
func clearFor(l *loc, was string) error {
	fi, ok, err := l.lstat()
	if err != nil || !ok {
		return err
	}
	have := kindOf(fi)
	if was != wasAbsent && (have == KindDir) == (was == KindDir) {
		return nil
	}
	err = l.remove()
	if was == wasAbsent && errors.Is(err, syscall.ENOTEMPTY) {
		// A directory berth made now also holds files of others: leave it.
		return nil
	}
	return err
}
