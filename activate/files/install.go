package files

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/berth-nix/berth/internal/atomicfile"
	"github.com/berth-nix/berth/internal/fault"
)

// Install carries out p for the attempt id. Before the first change it
// saves a backup of every path p touches under the id; then it applies
// the changes in order, each file written atomically with its owner and
// mode set before it appears. If a change fails, everything done is
// restored and the error (Transient) returned; the backup stays until
// Commit or Restore.
func (in *Installer) Install(id string, p *Plan) error {
	if err := os.MkdirAll(in.backupRoot(), 0o700); err != nil {
		return fault.Transientf("files: %w", err)
	}
	if err := in.saveBackup(id, p); err != nil {
		return fault.Transientf("files: save the backup: %w", err)
	}
	for _, o := range p.ops {
		if err := in.apply(o); err != nil {
			err = fault.Transientf("files: %s %s: %w", o.Do, o.Path, err)
			if rerr := in.Restore(id); rerr != nil {
				return errors.Join(err, rerr)
			}
			return err
		}
	}
	return nil
}

func (in *Installer) apply(o op) error {
	t := in.target(o.Path)
	switch o.Do {
	case opWrite:
		return writeFile(t, o.Src, o.want)
	case opLink:
		return writeLink(t, o.Link, o.UID, o.GID)
	case opMkdir:
		return mkdir(t, o.want)
	case opAttrs:
		return setAttrs(t, o.want)
	case opRemove:
		return removeSynced(t)
	case opRmdir:
		// A directory berth created that now holds other files is left.
		if err := removeSynced(t); err != nil && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
			return err
		}
		return nil
	}
	return fmt.Errorf("unknown operation %q", o.Do)
}

// tempName is the fixed temporary name beside t, so a crash leaves at
// most one stray file per path, replaced by the next attempt.
func tempName(t string) string {
	return filepath.Join(filepath.Dir(t), "."+filepath.Base(t)+".berth-new")
}

// writeFile installs the content of src at t: a temporary file in t's
// directory gets the content, owner and mode (chown first: it clears
// setuid bits) and is synced, then renamed over t.
func writeFile(t, src string, w want) error {
	tmp := tempName(t)
	os.Remove(tmp)
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	err = fill(out, src, w)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, t)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(t))
}

func fill(out *os.File, src string, w want) error {
	if err := copyContent(out, src, w); err != nil {
		return err
	}
	if err := out.Chown(w.UID, w.GID); err != nil {
		return err
	}
	if err := out.Chmod(w.Mode); err != nil {
		return err
	}
	return out.Sync()
}

// writeLink points t at target atomically, owned by uid:gid.
func writeLink(t, target string, uid, gid int) error {
	tmp := tempName(t)
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	err := os.Lchown(tmp, uid, gid)
	if err == nil {
		err = os.Rename(tmp, t)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(t))
}

func mkdir(t string, w want) error {
	if err := os.Mkdir(t, 0o700); err != nil {
		return err
	}
	if err := setAttrs(t, w); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(t))
}

func setAttrs(t string, w want) error {
	if err := os.Lchown(t, w.UID, w.GID); err != nil {
		return err
	}
	return os.Chmod(t, w.Mode)
}

func removeSynced(t string) error {
	if err := os.Remove(t); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(t))
}
