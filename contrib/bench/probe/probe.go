package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/berth-nix/berth/source"
	gitsource "github.com/berth-nix/berth/source/git"
	sftpsource "github.com/berth-nix/berth/source/sftp"
)

// Config selects the source under test; exactly one of Git and SFTP.
type Config struct {
	Git  *gitsource.Config `json:"git,omitempty"`
	SFTP *struct {
		Address, User, SSHKeyFile, KnownHostsFile, Path string
		Host, StateDir, StageDir                        string
	} `json:"sftp,omitempty"`
	// StateDir holds the reconciler's state for "prime" and "reconcile".
	StateDir string `json:"state_dir,omitempty"`
}

type probe struct {
	cfg Config
	src source.Source
}

func newProbe(path string) (*probe, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &probe{cfg: c}
	switch {
	case c.Git != nil:
		p.src, err = gitsource.New(*c.Git)
	case c.SFTP != nil:
		s := c.SFTP
		p.src, err = sftpsource.New(sftpsource.Config{Address: s.Address, User: s.User,
			SSHKeyFile: s.SSHKeyFile, KnownHostsFile: s.KnownHostsFile, Path: s.Path,
			Host: s.Host, StateDir: s.StateDir, StageDir: s.StageDir})
	default:
		err = fmt.Errorf("%s: want a git or sftp source", path)
	}
	return p, err
}

// do runs one request and measures it.
func (p *probe) do(ctx context.Context, req Request) Reply {
	if req.Cold {
		p.coldStart()
	}
	cpu0, start := cpuTime(), time.Now()
	rep := p.dispatch(ctx, req)
	rep.Wall, rep.CPU = time.Since(start), cpuTime()-cpu0
	rep.RSSKB, rep.HWMKB = memory()
	return rep
}

func (p *probe) dispatch(ctx context.Context, req Request) Reply {
	var out string
	var err error
	switch req.Op {
	case "poll":
		out, err = p.src.Poll(ctx)
	case "pollfetch": // what the agent does when the head moved
		if out, err = p.src.Poll(ctx); err == nil {
			var a source.Artifact
			a, err = p.src.Fetch(ctx)
			out = a.Digest
		}
	case "fetch":
		var a source.Artifact
		a, err = p.src.Fetch(ctx)
		out = a.Digest
	case "prime":
		out, err = p.prime(ctx)
	case "reconcile":
		out, err = p.reconcile(ctx)
	case "load":
		return p.load(ctx, req)
	case "stats":
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	rep := Reply{Out: out}
	if err != nil {
		rep.Err = err.Error()
	}
	return rep
}

// cpuTime is the user+system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// coldStart puts the process where a poll on a real schedule (30 s or
// more since the last) finds it: no connection to reuse, the heap
// collected and returned to the system.
func (p *probe) coldStart() {
	p.dropConnections()
	runtime.GC()
	debug.FreeOSMemory()
}

// dropConnections closes what the sources keep open for the next
// operation (an idle HTTP connection, a parked SFTP session), as the time
// between two polls of a real schedule does.
func (p *probe) dropConnections() {
	gitsource.CloseIdleConnections()
	if c, ok := p.src.(interface{ Close() error }); ok {
		c.Close()
	}
}
