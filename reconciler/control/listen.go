package control

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

// Listen opens the control socket at path. It refuses when a live agent
// already answers there, and removes a stale socket left by one that died.
// The socket is made mode 0660 owned by root and group, or 0600 when the
// group does not exist.
//
// Between bind and chmod the socket briefly has the umask's mode; that is
// harmless because every request is authorised from the peer's credentials,
// not from the file mode.
func Listen(path, group string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := clearStale(path); err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := restrict(path, group); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// clearStale removes path if it is a socket nobody answers on.
func clearStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control socket %s: exists and is not a socket; not touching it", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("control socket %s: another berth agent is running and answers on it", path)
	}
	return os.Remove(path)
}

func restrict(path, group string) error {
	gid, mode := lookupGID(group), os.FileMode(0o600)
	if gid >= 0 {
		mode = 0o660
	}
	if err := os.Chown(path, 0, max(gid, 0)); err != nil && os.Geteuid() == 0 {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	return nil
}

// lookupGID returns the id of group, or -1 when there is no such group.
func lookupGID(group string) int {
	if group == "" {
		return -1
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		return -1
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return -1
	}
	return gid
}
