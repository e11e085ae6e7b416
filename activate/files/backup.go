package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berth-nix/berth/internal/atomicfile"
)

// undo is how one path looked before an attempt touched it.
type undo struct {
	Path string `json:"path"`
	// Was is "absent", or the kind of what was there.
	Was  string      `json:"was"`
	Mode fs.FileMode `json:"mode,omitempty"`
	UID  int         `json:"uid"`
	GID  int         `json:"gid"`
	Link string      `json:"link,omitempty"`
	// Blob names the saved content of a file, inside the backup.
	Blob string `json:"blob,omitempty"`
}

const (
	wasAbsent    = "absent"
	undoFile     = "undo.json"
	nextManifest = "manifest.json"
	tmpSuffix    = ".tmp"
)

// saveBackup records, under backup/<id>/, how every path p's ops touch
// looks now, and the manifest to commit. It is built in backup/<id>.tmp
// and renamed into place, so backup/<id> is always complete.
func (in *Installer) saveBackup(id string, p *Plan) error {
	final := in.backupDir(id)
	if _, err := os.Lstat(final); err == nil {
		return fmt.Errorf("a backup for attempt %s already exists", id)
	}
	tmp := final + tmpSuffix
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	undos, err := in.snapshot(tmp, p.ops)
	if err == nil {
		err = writeJSON(filepath.Join(tmp, undoFile), undos)
	}
	if err == nil {
		err = writeJSON(filepath.Join(tmp, nextManifest), p.next)
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return atomicfile.SyncDir(in.backupRoot())
}

// snapshot describes each path once, as it is before the first op on it.
func (in *Installer) snapshot(dir string, ops []op) ([]undo, error) {
	seen := map[string]bool{}
	var out []undo
	for _, o := range ops {
		if seen[o.Path] {
			continue
		}
		seen[o.Path] = true
		u, err := in.describe(dir, o.Path, len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// testHookBackupRead, when set, runs just before the previous content
// of the installed path p is read into the backup: the moment an
// attacker watching the file with inotify would learn that an install is
// under way.
var testHookBackupRead func(p string)

func (in *Installer) describe(dir, p string, n int) (undo, error) {
	u := undo{Path: p, Was: wasAbsent}
	l, err := in.locate(p)
	if errors.Is(err, errOnTheWay) || errors.Is(err, fs.ErrNotExist) {
		return u, nil
	}
	if err != nil {
		return u, err
	}
	defer l.close()
	fi, ok, err := l.lstat()
	if err != nil || !ok {
		return u, err
	}
	u.Was, u.Mode = kindOf(fi), fi.Mode()&permBits
	u.UID, u.GID = owner(fi)
	switch u.Was {
	case KindLink:
		u.Link, err = l.readlink()
	case KindFile:
		u.Blob = strconv.Itoa(n)
		if testHookBackupRead != nil {
			testHookBackupRead(p)
		}
		err = copyOut(l, filepath.Join(dir, u.Blob))
	}
	return u, err
}

// copyOut copies the regular file at l to dst (mode 0600) and syncs it.
func copyOut(l *loc, dst string) error {
	in, err := l.openFile()
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
