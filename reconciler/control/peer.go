package control

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Peer is the process at the other end of a control connection, as the
// kernel saw it when it connected (SO_PEERCRED): it cannot lie about it.
type Peer struct {
	PID, UID, GID int
}

func (p Peer) String() string { return fmt.Sprintf("uid %d (pid %d)", p.UID, p.PID) }

// Name is the peer's user name with its uid ("alice (uid 1000)"), or the
// uid alone when the name cannot be looked up.
func (p Peer) Name() string {
	if u, err := user.LookupId(strconv.Itoa(p.UID)); err == nil {
		return fmt.Sprintf("%s (uid %d)", u.Username, p.UID)
	}
	return "uid " + strconv.Itoa(p.UID)
}

type peerKey struct{}

// peerOf reads the credentials of a unix connection's peer.
func peerOf(c net.Conn) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, fmt.Errorf("not a unix connection: %T", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var cred *unix.Ucred
	var serr error
	err = raw.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return Peer{}, fmt.Errorf("read peer credentials: %w", err)
	}
	return Peer{PID: int(cred.Pid), UID: int(cred.Uid), GID: int(cred.Gid)}, nil
}

// withPeer is the http.Server's ConnContext: it stores the peer, or no
// peer at all when the credentials cannot be read, which denies everything.
func withPeer(ctx context.Context, c net.Conn) context.Context {
	p, err := peerOf(c)
	if err != nil {
		return ctx
	}
	return context.WithValue(ctx, peerKey{}, p)
}

func peerFrom(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}

// inGroup reports whether the peer has gid as its primary or one of its
// supplementary groups. SO_PEERCRED carries only the primary group; the
// supplementary ones are read from /proc.
func (p Peer) inGroup(gid int) bool {
	if gid < 0 {
		return false
	}
	if p.GID == gid {
		return true
	}
	groups, err := procGroups(p.PID)
	if err != nil {
		return false
	}
	for _, g := range groups {
		if g == gid {
			return true
		}
	}
	return false
}

// procGroups reads the supplementary groups of process pid.
func procGroups(pid int) ([]int, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "Groups:")
		if !ok {
			continue
		}
		var out []int
		for _, field := range strings.Fields(rest) {
			if g, err := strconv.Atoi(field); err == nil {
				out = append(out, g)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("no Groups line for pid %d", pid)
}
