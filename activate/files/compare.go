package files

import (
	"bytes"
	"errors"
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

// sameContent says whether the path t (described by fi) already holds
// what w installs: the same bytes, or the same link target.
func sameContent(w want, t string, fi fs.FileInfo) (bool, error) {
	if kindOf(fi) != w.Kind {
		return false, nil
	}
	if w.Kind == KindLink {
		cur, err := os.Readlink(t)
		return err == nil && cur == w.Link, err
	}
	src, err := os.Stat(w.Src)
	if err != nil || src.Size() != fi.Size() {
		return false, err
	}
	return sameBytes(w.Src, t)
}

func sameBytes(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
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

// lstat is os.Lstat where a missing path, or one whose parent is not a
// directory (about to be replaced by one), is reported as absent.
func lstat(t string) (fs.FileInfo, bool, error) {
	fi, err := os.Lstat(t)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, false, nil
	}
	return fi, err == nil, err
}
