package files

import (
	"io/fs"
	"os/user"
	"strconv"

	"github.com/berth-nix/berth/internal/fault"
)

// want is what an entry should look like once installed.
type want struct {
	entry
	UID, GID int
	// Declared is set when files.yaml names the path with an owner, group
	// or mode: existing directories are brought in line only then.
	Declared bool
	Replace  bool
}

// resolve applies files.yaml and the defaults to e. Unknown users and
// groups and undeclared setuid/setgid bits are Stalling errors.
func resolve(e entry, m Meta) (want, error) {
	a := m[e.Path]
	w := want{entry: e, Replace: a.Replace, Declared: a.Owner != "" || a.Group != "" || a.Mode != nil}
	var err error
	if w.UID, err = lookupID(e.Path, "user", a.Owner, userID); err != nil {
		return w, err
	}
	if w.GID, err = lookupID(e.Path, "group", a.Group, groupID); err != nil {
		return w, err
	}
	w.Mode, err = modeOf(e, a, m.secret(e.Path) || e.Decrypt != nil)
	return w, err
}

func modeOf(e entry, a Attrs, secret bool) (fs.FileMode, error) {
	switch {
	case a.Mode != nil:
		return fs.FileMode(*a.Mode), nil
	case e.Mode&(fs.ModeSetuid|fs.ModeSetgid) != 0:
		return 0, fault.Stallingf("files%s: setuid/setgid bits are only installed when files.yaml declares the mode", e.Path)
	case secret && e.Kind == KindDir:
		return 0o700, nil
	case secret && e.Mode&0o111 != 0:
		return 0o700, nil
	case secret:
		return 0o600, nil
	}
	return e.Mode, nil
}

// lookupID turns a name or decimal id into a numeric id; empty is root.
func lookupID(p, what, name string, byName func(string) (string, error)) (int, error) {
	if name == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, nil
	}
	s, err := byName(name)
	if err != nil {
		return 0, fault.Stallingf("%s: %s: %s %q: %v", MetaFile, p, what, name, err)
	}
	return strconv.Atoi(s)
}

func userID(name string) (string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return "", err
	}
	return u.Uid, nil
}

func groupID(name string) (string, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return "", err
	}
	return g.Gid, nil
}

// unixMode turns octal permission bits (as chmod takes them) into an
// fs.FileMode with Go's setuid, setgid and sticky flags.
func unixMode(v uint32) fs.FileMode {
	m := fs.FileMode(v & 0o777)
	if v&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if v&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if v&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
