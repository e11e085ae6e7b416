package files

import (
	"bytes"
	"errors"
	"github.com/berth-nix/berth/internal/fault"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// kindOf names what fi is; "" for anything but a file, directory or link.
func kindOf(fi fs.FileInfo) string {
	switch fi.Mode().Type() {
	case 0:
		return KindFile
	case fs.ModeDir:
		return KindDir
	case fs.ModeSymlink:
		return KindLink
	}
	return ""
}

func kindName(k string) string {
	switch k {
	case KindDir:
		return "directory"
	case KindLink:
		return "symbolic link"
	}
	return "file"
}

// permBits are the parts of a mode berth sets.
const permBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// owner returns the uid and gid in fi.
func owner(fi fs.FileInfo) (int, int) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1, -1
	}
	return int(st.Uid), int(st.Gid)
}

// sameAttrs says whether fi already has w's owner, group and (except for
// links, whose mode means nothing) mode.
func sameAttrs(w want, fi fs.FileInfo) bool {
	uid, gid := owner(fi)
	if uid != w.UID || gid != w.GID {
		return false
	}
	return w.Kind == KindLink || fi.Mode()&permBits == w.Mode
}

// sameContent says whether the installed path of w (described by fi)
// already holds what w installs: the same bytes, the same link target,
// or, for an encrypted file, the same plaintext. Its errors are
// classified: a file that cannot be decrypted is the revision's fault,
// anything else the machine's.
func (in *Installer) sameContent(w want, fi fs.FileInfo) (bool, error) {
	if kindOf(fi) != w.Kind {
		return false, nil
	}
	l, err := in.locate(w.Path)
	if err != nil {
		return false, fault.Transientf("files: %w", err)
	}
	defer l.close()
	if w.Kind == KindLink {
		cur, err := l.readlink()
		if err != nil {
			return false, fault.Transientf("files: %w", err)
		}
		return cur == w.Link, nil
	}
	if w.Decrypt == nil {
		same, err := sameBytesAt(w, fi, l)
		if err != nil {
			return false, fault.Transientf("files: %w", err)
		}
		return same, nil
	}
	fb, err := l.openFile()
	if err != nil {
		return false, fault.Transientf("files: %w", err)
	}
	defer fb.Close()
	return samePlaintext(w, fb)
}

// sameBytesAt compares w's source with the installed file at l.
func sameBytesAt(w want, fi fs.FileInfo, l *loc) (bool, error) {
	src, err := os.Stat(w.Src)
	if err != nil || src.Size() != fi.Size() {
		return false, err
	}
	fa, err := os.Open(w.Src)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := l.openFile()
	if err != nil {
		return false, err
	}
	defer fb.Close()
	return sameBytes(fa, fb)
}

func sameBytes(fa, fb io.Reader) (bool, error) {
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		switch {
		case ea != nil && !isEOF(ea):
			return false, ea
		case eb != nil && !isEOF(eb):
			return false, eb
		case ea != nil || eb != nil:
			return ea != nil && eb != nil, nil
		}
	}
}

func isEOF(err error) bool { return err == io.EOF || err == io.ErrUnexpectedEOF }

// lstat describes the installed path p without following links, on the
// way or at its end. A missing path, or one below a path that is not a
// directory (about to be replaced by one, or refused when it is
// planned), is reported as absent.
func (in *Installer) lstat(p string) (fs.FileInfo, bool, error) {
	l, err := in.locate(p)
	if errors.Is(err, errOnTheWay) || errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer l.close()
	return l.lstat()
}
