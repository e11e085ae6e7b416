package gitsource

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// serverCaps is what a remote's first message said about it.
type serverCaps struct {
	// v2 is set when the remote speaks protocol version 2; caps then holds
	// its capability lines ("ls-refs", "fetch=shallow wait-for-done", ...).
	v2   bool
	caps []string
	// head is the branch head found in a version 0 advertisement, which
	// lists every reference; zero when absent or when v2.
	head plumbing.Hash
}

func (c serverCaps) has(name string) bool {
	for _, l := range c.caps {
		if l == name || strings.HasPrefix(l, name+"=") {
			return true
		}
	}
	return false
}

// readAdvert reads the remote's first message. Over HTTP a version 0
// server (and some version 2 servers) first sends a "# service=" block.
func readAdvert(p *pktReader, branch plumbing.ReferenceName) (serverCaps, error) {
	var c serverCaps
	first := true
	for {
		kind, data, err := p.next()
		if err != nil {
			return c, err
		}
		if kind != pktData {
			if first {
				continue // the flush after "# service="
			}
			return c, nil
		}
		line := string(bytes.TrimSuffix(data, []byte("\n")))
		switch {
		case first && strings.HasPrefix(line, "# service="):
			continue
		case first && line == "version 2":
			c.v2 = true
		case c.v2:
			c.caps = append(c.caps, line)
		default:
			if err := c.v0Ref(line, branch); err != nil {
				return c, err
			}
		}
		first = false
	}
}

// v0Ref reads one line of a version 0 reference advertisement: "<oid>
// <name>", the first one followed by NUL and the capabilities.
func (c *serverCaps) v0Ref(line string, branch plumbing.ReferenceName) error {
	line, _, _ = strings.Cut(line, "\x00")
	oid, name, ok := strings.Cut(line, " ")
	if !ok || len(oid) != 40 {
		if strings.HasPrefix(line, "ERR ") {
			return fmt.Errorf("%w: %s", errRemoteSaid, strings.TrimPrefix(line, "ERR "))
		}
		return fmt.Errorf("%w: reference line %q", errPktFormat, line)
	}
	if name == branch.String() {
		c.head = plumbing.NewHash(oid)
	}
	return nil
}

// errNoRef is what lsRef returns when the remote has no such branch.
var errNoRef = errors.New("no such reference")

// lsRef asks for the one reference name. A version 2 server answers an
// ls-refs command restricted to that name (the request and its answer take
// a few hundred bytes however many references the remote has); a version
// 0 server has already listed everything in its advertisement.
func lsRef(w wireConn, name plumbing.ReferenceName) (plumbing.Hash, serverCaps, error) {
	adv, err := w.advert()
	if err != nil {
		return plumbing.ZeroHash, serverCaps{}, err
	}
	c, err := readAdvert(adv, name)
	if err != nil {
		return plumbing.ZeroHash, c, err
	}
	if !c.v2 {
		if c.head.IsZero() {
			return c.head, c, errNoRef
		}
		return c.head, c, nil
	}
	if !c.has("ls-refs") {
		return plumbing.ZeroHash, c, errors.New("the remote speaks protocol version 2 without ls-refs")
	}
	h, err := lsRefsCommand(w, name)
	return h, c, err
}

// lsRefsCommand sends the version 2 ls-refs command for the one name.
func lsRefsCommand(w wireConn, name plumbing.ReferenceName) (plumbing.Hash, error) {
	var req pktBuf
	req.line("command=ls-refs\n")
	req.delim()
	// ref-prefix matches by prefix: refs/heads/main also lists
	// refs/heads/main2, so the answer is filtered by the exact name.
	req.line("ref-prefix " + name.String() + "\n")
	req.flush()
	res, err := w.command(req.Bytes())
	if err != nil {
		return plumbing.ZeroHash, err
	}
	head := plumbing.ZeroHash
	_, err = res.lines(func(line string) error {
		if strings.HasPrefix(line, "ERR ") {
			return fmt.Errorf("%w: %s", errRemoteSaid, strings.TrimPrefix(line, "ERR "))
		}
		oid, rest, _ := strings.Cut(line, " ")
		ref, _, _ := strings.Cut(rest, " ")
		if len(oid) != 40 {
			return fmt.Errorf("%w: ls-refs line %q", errPktFormat, line)
		}
		if ref == name.String() {
			head = plumbing.NewHash(oid)
		}
		return nil
	})
	if err == nil && head.IsZero() {
		err = errNoRef
	}
	return head, err
}

// errRemoteSaid prefixes an error the remote sent in an "ERR" packet.
var errRemoteSaid = errors.New("remote")
