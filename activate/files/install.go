package files

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/berth-nix/berth/internal/fault"
	"golang.org/x/sys/unix"
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
	l, err := in.locate(o.Path)
	if err != nil {
		return err
	}
	defer l.close()
	if err := l.expect(o); err != nil {
		return err
	}
	switch o.Do {
	case opWrite:
		return writeFile(l, o.Src, o.want)
	case opLink:
		return writeLink(l, o.Link, o.UID, o.GID)
	case opMkdir:
		return mkdir(l, o.want)
	case opAttrs:
		return setAttrs(l, o.want)
	case opRemove:
		return l.remove()
	case opRmdir:
		// A directory berth created that now holds other files is left.
		if err := l.remove(); err != nil && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
			return err
		}
		return nil
	}
	return fmt.Errorf("unknown operation %q", o.Do)
}

// expect refuses to change the path when it is no longer what planning
// saw there: another kind, or another owner.
func (l *loc) expect(o op) error {
	fi, ok, err := l.lstat()
	if err != nil {
		return err
	}
	now, nowUID, nowGID := wasAbsent, -1, -1
	if ok {
		now = kindOf(fi)
		nowUID, nowGID = owner(fi)
	}
	if now != o.Was.Kind || (ok && (nowUID != o.Was.UID || nowGID != o.Was.GID)) {
		return fmt.Errorf("changed since the plan: %s owned by %d:%d, planned for %s owned by %d:%d",
			orNothing(now), nowUID, nowGID, orNothing(o.Was.Kind), o.Was.UID, o.Was.GID)
	}
	return nil
}

func orNothing(kind string) string {
	if kind == wasAbsent || kind == "" {
		return "nothing"
	}
	return "a " + kindName(kind)
}

// writeFile installs the content of src at l: a temporary file in l's
// directory gets the content, owner and mode (chown first: it clears
// setuid bits) and is synced, then renamed over l.
func writeFile(l *loc, src string, w want) error {
	l.removeTemp()
	fd, err := unix.Openat(l.fd(), l.tempName(), unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return l.pathErr("create", err)
	}
	out := os.NewFile(uintptr(fd), l.tempName())
	err = fill(out, src, w)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		l.removeTemp()
		return err
	}
	return l.replaceWithTemp()
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

// writeLink points l at target atomically, owned by uid:gid.
func writeLink(l *loc, target string, uid, gid int) error {
	l.removeTemp()
	if err := unix.Symlinkat(target, l.fd(), l.tempName()); err != nil {
		return l.pathErr("symlink", err)
	}
	if err := unix.Fchownat(l.fd(), l.tempName(), uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		l.removeTemp()
		return l.pathErr("chown", err)
	}
	return l.replaceWithTemp()
}

func mkdir(l *loc, w want) error {
	if err := unix.Mkdirat(l.fd(), l.name, 0o700); err != nil {
		return l.pathErr("mkdir", err)
	}
	if err := setAttrs(l, w); err != nil {
		return err
	}
	return l.dir.Sync()
}

// setAttrs sets the owner and mode of the directory at l through a
// descriptor of it, so they land on that directory and nowhere else.
func setAttrs(l *loc, w want) error {
	d, err := l.openDir()
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Chown(w.UID, w.GID); err != nil {
		return err
	}
	return d.Chmod(w.Mode)
}
