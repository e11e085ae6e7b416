// Package publish is the admin side of the SFTP source: it resolves each
// host directory of a fleet and writes it, with its manifest, into that
// host's chroot on the SFTP server (layout in source/manifest).
//
// For each host the tree is staged beside the published ones and renamed
// into trees/<digest hex> complete; only then is manifest.json replaced,
// atomically. An agent reading at any moment sees the old configuration
// or the new one, never a mix. Hosts whose digest did not change are not
// touched. A host directory that cannot be published (a link escaping the
// fleet, a missing directory) is published as a refusal, so the agent
// reports it as a bad revision and keeps running what it has.
package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/hostname"
	"github.com/berth-nix/berth/source/manifest"
	"github.com/berth-nix/berth/source/tree"
)

// Defaults for the zero fields of Options.
const (
	DefaultHostDir   = hostname.DefaultHostDir
	DefaultConfigDir = "config"
)

// Options say what to publish where.
type Options struct {
	// Fleet is the fleet directory, e.g. a checkout of the fleet repository.
	Fleet string
	// HostDir is the host directory template inside Fleet; {hostname} is
	// replaced. DefaultHostDir when empty.
	HostDir string
	// Chroots holds one chroot directory per host: the host's published
	// configuration goes to Chroots/<host>/<ConfigDir>.
	Chroots string
	// ConfigDir is the configuration directory inside a chroot;
	// DefaultConfigDir when empty.
	ConfigDir string
	// Hosts to publish; when empty, every host with a directory in the
	// fleet or a chroot
	// holding a configuration directory.
	Hosts []string
	// DryRun reports what would change and writes nothing.
	DryRun bool
	// Limits bound each host tree.
	Limits tree.Limits
	// Now is time.Now unless a test replaces it.
	Now func() time.Time
	// Sign, when set, signs every manifest (sign.go); agents with
	// trust.sftp.allowed_signers refuse manifests without a signature.
	Sign ssh.Signer
}

// Action is what publishing did (or, in a dry run, would do) for a host.
type Action string

const (
	// Published: a new tree was written and the manifest points at it.
	Published Action = "published"
	// Refused: the host directory is bad; a refusal was published.
	Refused Action = "refused"
	// Unchanged: the published manifest already says the same.
	Unchanged Action = "unchanged"
	// NoChroot: the host has no chroot on this server; nothing written.
	NoChroot Action = "no-chroot"
	// Failed: an error stopped the publish of this host; nothing changed
	// for it.
	Failed Action = "failed"
)

// Result is the outcome for one host.
type Result struct {
	Host   string
	Action Action
	// Revision is what the host's manifest says afterwards (or would say).
	Revision string
	// Previous is the revision published before; empty if none.
	Previous string
	// Reason explains a refusal, a missing chroot or a failure.
	Reason string
}

// Run publishes every selected host and returns one Result per host, in
// host name order. Its error is for the whole run (bad options, the
// publish lock); per-host failures are in the results.
func Run(ctx context.Context, o Options) ([]Result, error) {
	o = o.withDefaults()
	hosts, err := o.selectHosts()
	if err != nil {
		return nil, err
	}
	if !o.DryRun {
		unlock, err := lock(o.Chroots)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	fsys := os.DirFS(o.Fleet).(fs.ReadLinkFS)
	var out []Result
	for _, h := range hosts {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, o.host(fsys, h))
	}
	return out, nil
}

func (o Options) withDefaults() Options {
	if o.HostDir == "" {
		o.HostDir = DefaultHostDir
	}
	if o.ConfigDir == "" {
		o.ConfigDir = DefaultConfigDir
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// host publishes one host.
func (o Options) host(fsys fs.ReadLinkFS, name string) Result {
	dir := filepath.Join(o.Chroots, name, o.ConfigDir)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return Result{Host: name, Action: NoChroot, Reason: fmt.Sprintf("no directory %s (add the host's SFTP account first)", dir)}
	}
	r := Result{Host: name}
	if _, err := accessOf(dir); err != nil {
		r.Action, r.Reason = Failed, err.Error()
		return r
	}
	cur, serial := current(dir, o.Limits)
	if cur != nil {
		r.Previous = cur.Revision()
	}
	hostDir := hostname.Expand(o.HostDir, name)
	tr, err := tree.Resolve(fsys, hostDir, o.Limits)
	switch {
	case err != nil && fault.ClassOf(err) != fault.Stalling:
		r.Action, r.Reason = Failed, err.Error()
		return r
	case err != nil:
		ref := manifest.Refusal{Reason: err.Error(), NoHostDir: errors.Is(err, tree.ErrNoHostDir)}
		return o.refuse(r, dir, cur, manifest.ForRefusal(name, ref, serial+1, o.Now()))
	}
	return o.publish(r, dir, cur, tr, manifest.ForTree(name, tr, serial+1, o.Now()))
}

// refuse publishes a refusal unless the same one is already published.
func (o Options) refuse(r Result, dir string, cur, m *manifest.Manifest) Result {
	r.Reason = m.Refused.Reason
	if cur != nil && cur.Refused != nil && *cur.Refused == *m.Refused {
		r.Action, r.Revision = Unchanged, cur.Revision()
		return o.repaired(o.signed(r, dir, cur, nil), dir, cur)
	}
	r.Action, r.Revision = Refused, m.Revision()
	if r = o.signed(r, dir, m, cur); r.Action == Failed {
		return r
	}
	if !o.DryRun {
		if err := writeManifest(dir, m); err != nil {
			r.Action, r.Reason = Failed, err.Error()
		}
	}
	return r
}

// publish writes tr and its manifest unless they are already published
// and intact.
func (o Options) publish(r Result, dir string, cur *manifest.Manifest, tr *tree.Tree, m *manifest.Manifest) Result {
	r.Action, r.Revision = Published, m.Revision()
	if cur != nil && cur.Digest == m.Digest && intact(dir, cur) == nil {
		r.Action, r.Revision = Unchanged, cur.Revision()
		return o.repaired(o.signed(r, dir, cur, nil), dir, cur)
	}
	if o.DryRun {
		return r
	}
	if err := writeTree(dir, tr, m); err != nil {
		r.Action, r.Reason = Failed, err.Error()
		return r
	}
	if r = o.signed(r, dir, m, cur); r.Action == Failed {
		return r
	}
	if err := writeManifest(dir, m); err != nil {
		r.Action, r.Reason = Failed, err.Error()
		return r
	}
	if err := prune(dir, m, cur); err != nil {
		r.Reason = "published; pruning old trees failed: " + err.Error()
	}
	return r
}

// repaired makes the revision file of an unchanged host match its
// manifest again, unless this is a dry run or the result already failed.
func (o Options) repaired(r Result, dir string, cur *manifest.Manifest) Result {
	if o.DryRun || r.Action == Failed {
		return r
	}
	if err := repairRevision(dir, cur); err != nil {
		r.Action, r.Reason = Failed, err.Error()
	}
	return r
}
