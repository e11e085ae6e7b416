package files

import (
	"fmt"
	"io/fs"
	"os"
	"sort"

	"github.com/berth-nix/berth/internal/fault"
)

// What an op does to its path.
const (
	opWrite  = "write"  // install a regular file from the tree
	opLink   = "link"   // install a symbolic link
	opMkdir  = "mkdir"  // create a directory
	opAttrs  = "attrs"  // set an existing directory's owner, group and mode
	opRemove = "remove" // remove a file or link berth installed
	opRmdir  = "rmdir"  // remove a directory berth created, if empty
)

// op is one change to the system.
type op struct {
	Do string
	want
	// Was is what planning saw at the path before this op; Install
	// refuses the op when that has changed.
	Was found
}

// found is what is at a path: a kind (wasAbsent for nothing) and owner.
type found struct {
	Kind     string
	UID, GID int
}

var absent = found{Kind: wasAbsent, UID: -1, GID: -1}

func foundIn(fi fs.FileInfo) found {
	uid, gid := owner(fi)
	return found{Kind: kindOf(fi), UID: uid, GID: gid}
}

// Plan is every change one files tree makes, decided before anything is
// written. Plans are made by Installer.Plan and used once.
type Plan struct {
	ops       []op
	next      Manifest
	unchanged int
}

// Summary counts the plan's changes for the attempt's log; it names no
// paths and no contents.
func (p *Plan) Summary() string {
	n := map[string]int{}
	for _, o := range p.ops {
		n[o.Do]++
	}
	return fmt.Sprintf("%d files written, %d links, %d directories created, %d changed, %d removed, %d unchanged",
		n[opWrite], n[opLink], n[opMkdir], n[opAttrs], n[opRemove]+n[opRmdir], p.unchanged)
}

// Paths lists the installed paths the plan changes, in order.
func (p *Plan) Paths() []string {
	out := make([]string, len(p.ops))
	for i, o := range p.ops {
		out[i] = o.Do + " " + o.Path
	}
	return out
}

// Plan reads the staged files tree (filesDir, which may be missing: an
// empty tree) and the metadata file at metaPath (which may be missing),
// compares them with the system and the manifest, and decides every
// change. Nothing is written. A tree or metadata file berth refuses, an
// unknown user or group, and a path in the way that berth did not install
// are Stalling errors naming the path; failures to read are Transient.
func (in *Installer) Plan(filesDir, metaPath string) (*Plan, error) {
	if fi, err := os.Stat(in.Root); err != nil || !fi.IsDir() {
		return nil, fault.Transientf("files: root %s is not a directory", in.Root)
	}
	meta, err := readMeta(metaPath)
	if err != nil {
		return nil, err
	}
	entries, err := scan(filesDir)
	if err == nil {
		entries, err = in.encrypted(entries)
	}
	if err != nil {
		return nil, err
	}
	if err := checkDeclared(meta, entries); err != nil {
		return nil, err
	}
	old, err := loadManifest(in.manifestPath())
	if err != nil {
		return nil, fault.Transientf("files: %w", err)
	}
	pl := &planner{in: in, old: old.index(), inTree: map[string]bool{}, plan: &Plan{next: Manifest{Version: manifestVersion}}}
	for _, e := range entries {
		w, err := resolve(e, meta)
		if err == nil {
			err = pl.add(w)
		}
		if err != nil {
			return nil, err
		}
	}
	return pl.finish(old)
}

// checkDeclared refuses files.yaml paths that are not in the tree: a typo
// there would otherwise silently leave a secret world-readable.
func checkDeclared(m Meta, entries []entry) error {
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Path] = true
	}
	for p := range m {
		if !have[p] {
			return fault.Stallingf("%s: %s: no such path in files/", MetaFile, p)
		}
	}
	return nil
}

// planner builds a Plan entry by entry.
type planner struct {
	in       *Installer
	old      map[string]Record
	inTree   map[string]bool
	removals []op
	creates  []op
	plan     *Plan
}

// add decides what to do for one wanted entry.
func (pl *planner) add(w want) error {
	pl.inTree[w.Path] = true
	fi, ok, err := pl.in.lstat(w.Path)
	if err != nil {
		return fault.Transientf("files: %w", err)
	}
	if !ok {
		pl.create(w, true, absent)
		return nil
	}
	have := kindOf(fi)
	switch {
	case have == "":
		return fault.Stallingf("files%s: exists on this machine as %s; berth does not replace it", w.Path, typeName(fi.Mode().Type()))
	case have != w.Kind && (have == KindDir || w.Kind == KindDir):
		if !pl.owned(w.Path, have, false) {
			return notOurs(w.Path, have)
		}
		pl.removals = append(pl.removals, op{Do: removeOp(have), want: want{entry: entry{Path: w.Path, Kind: have}}, Was: foundIn(fi)})
		pl.create(w, true, absent)
		return nil
	case w.Kind == KindDir:
		return pl.dir(w, fi)
	case !pl.owned(w.Path, have, w.Replace):
		return notOurs(w.Path, have)
	}
	return pl.fileOrLink(w, fi)
}

func notOurs(p, have string) error {
	return fault.Stallingf("files%s: a %s exists there that berth did not install; remove it, or declare `replace: true` for it in %s", p, kindName(have), MetaFile)
}

// owned says whether berth may replace or remove what is at p: it
// installed it, or (for files and links) files.yaml says replace.
func (pl *planner) owned(p, have string, replace bool) bool {
	return pl.old[p].Kind == have || (replace && have != KindDir)
}

func (pl *planner) create(w want, created bool, was found) {
	o := op{want: w, Was: was}
	switch w.Kind {
	case KindDir:
		o.Do = opMkdir
	case KindLink:
		o.Do = opLink
	default:
		o.Do = opWrite
	}
	pl.creates = append(pl.creates, o)
	pl.record(w, created)
}

func (pl *planner) record(w want, created bool) {
	if w.Kind == KindDir && !created {
		return
	}
	pl.plan.next.Entries = append(pl.plan.next.Entries, Record{Path: w.Path, Kind: w.Kind, Created: w.Kind == KindDir})
}

// dir handles a directory that exists: berth's own directories and
// declared ones are brought to the wanted owner and mode; others are
// left as they are.
func (pl *planner) dir(w want, fi fs.FileInfo) error {
	ours := pl.old[w.Path].Kind == KindDir && pl.old[w.Path].Created
	pl.record(w, ours)
	if (ours || w.Declared) && !sameAttrs(w, fi) {
		pl.creates = append(pl.creates, op{Do: opAttrs, want: w, Was: foundIn(fi)})
		return nil
	}
	pl.plan.unchanged++
	return nil
}

func (pl *planner) fileOrLink(w want, fi fs.FileInfo) error {
	same, err := pl.in.sameContent(w, fi)
	if err != nil {
		return err
	}
	if same && sameAttrs(w, fi) {
		pl.record(w, false)
		pl.plan.unchanged++
		return nil
	}
	pl.create(w, false, foundIn(fi))
	return nil
}

// finish adds removals of what left the tree and orders the plan:
// removals deepest first, then creations parents first.
func (pl *planner) finish(old Manifest) (*Plan, error) {
	for _, r := range old.Entries {
		if pl.inTree[r.Path] {
			continue
		}
		if o, ok, err := pl.removal(r); err != nil {
			return nil, err
		} else if ok {
			pl.removals = append(pl.removals, o)
		}
	}
	sort.Slice(pl.removals, func(i, j int) bool { return pl.removals[i].Path > pl.removals[j].Path })
	pl.plan.ops = append(pl.removals, pl.creates...)
	pl.plan.next.sort()
	return pl.plan, nil
}

// removal decides what to do with a path that left the tree: remove it
// if it is still what berth put there, leave it otherwise.
func (pl *planner) removal(r Record) (op, bool, error) {
	fi, ok, err := pl.in.lstat(r.Path)
	if err != nil || !ok {
		return op{}, false, fault.AsTransient(err)
	}
	if kindOf(fi) != r.Kind || (r.Kind == KindDir && !r.Created) {
		return op{}, false, nil
	}
	return op{Do: removeOp(r.Kind), want: want{entry: entry{Path: r.Path, Kind: r.Kind}}, Was: foundIn(fi)}, true, nil
}

func removeOp(kind string) string {
	if kind == KindDir {
		return opRmdir
	}
	return opRemove
}

// Changes is the number of paths the plan changes; 0 means the system
// already matches the tree.
func (p *Plan) Changes() int { return len(p.ops) }
