package files

import (
	"os"
	"path/filepath"
	"testing"
)

// v2Changes rewrites, removes, adds and changes the kind of paths of v1,
// and takes over a file berth did not install.
func v2Changes() (map[string]node, string) {
	v2 := v1()
	v2["etc/motd"] = file("changed\n")
	delete(v2, "etc/app/api.key")
	v2["etc/new/dir/file"] = file("new\n")
	delete(v2, "usr/local/bin/tool-2")
	v2["usr/local/bin/tool-2/now-a-dir"] = file("x\n")
	v2["etc/hosts"] = file("taken over\n")
	return v2, secretMeta + "/etc/hosts:\n  replace: true\n"
}

// TestRestoreUndoesEverything: Restore after an Install puts back every
// path exactly (contents, kinds, owners, modes, absent paths), drops the
// backup and leaves the manifest as it was.
func TestRestoreUndoesEverything(t *testing.T) {
	f := newFx(t)
	f.deploy("a1", v1(), secretMeta)
	must(t, f.in.Commit("a1"))
	f.put("etc/hosts", "the admin's hosts\n", 0o644)
	before := f.state()
	manifest, _ := os.ReadFile(f.in.manifestPath())

	nodes, meta := v2Changes()
	f.deploy("a2", nodes, meta)
	if after := f.state(); sameMap(after, before) {
		t.Fatalf("install changed nothing")
	}
	must(t, f.in.Restore("a2"))
	if got := f.state(); !sameMap(got, before) {
		t.Errorf("after restore got\n%v\nwant\n%v", got, before)
	}
	if m, _ := os.ReadFile(f.in.manifestPath()); string(m) != string(manifest) {
		t.Errorf("the manifest changed on restore")
	}
	if _, err := os.Stat(f.in.backupDir("a2")); !os.IsNotExist(err) {
		t.Errorf("backup still there after restore: %v", err)
	}
	must(t, f.in.Restore("a2")) // idempotent
}

// TestRecoverAfterCrash: an install that crashed half-way (simulated by
// stopping after some of its operations) is restored by Recover, and a
// backup that was never completed is just removed.
func TestRecoverAfterCrash(t *testing.T) {
	f := newFx(t)
	f.deploy("a1", v1(), secretMeta)
	must(t, f.in.Commit("a1"))
	before := f.state()
	nodes, meta := v2Changes()
	meta = meta[:len(meta)-len("/etc/hosts:\n  replace: true\n")]
	delete(nodes, "etc/hosts")
	p, err := f.in.Plan(f.tree(nodes, meta))
	must(t, err)
	must(t, f.in.saveBackup("a2", p))
	for _, o := range p.ops[:len(p.ops)/2] {
		must(t, f.in.apply(o))
	}
	must(t, os.MkdirAll(filepath.Join(f.in.backupRoot(), "a3"+tmpSuffix), 0o700))

	ids, err := f.in.Recover()
	must(t, err)
	if len(ids) != 1 || ids[0] != "a2" {
		t.Errorf("recovered %v, want [a2]", ids)
	}
	if got := f.state(); !sameMap(got, before) {
		t.Errorf("after recover got\n%v\nwant\n%v", got, before)
	}
	if left, _ := os.ReadDir(f.in.backupRoot()); len(left) != 0 {
		t.Errorf("backups left: %v", left)
	}
}

// TestCommitThenRestoreKeepsInstall: once committed, a late Restore (say,
// from a crashed agent's journal) leaves the installed tree alone.
func TestCommitThenRestoreKeepsInstall(t *testing.T) {
	f := newFx(t)
	f.deploy("a1", v1(), secretMeta)
	must(t, f.in.Commit("a1"))
	installed := f.state()
	must(t, f.in.Restore("a1"))
	if ids, err := f.in.Recover(); err != nil || len(ids) != 0 {
		t.Errorf("recover after commit: %v %v, want nothing", ids, err)
	}
	if got := f.state(); !sameMap(got, installed) {
		t.Errorf("got %v, want %v", got, installed)
	}
}

// TestBackupNeverInRoot: no temporary or backup file is left beside the
// installed files.
func TestBackupNeverInRoot(t *testing.T) {
	f := newFx(t)
	f.deploy("a1", v1(), secretMeta)
	for p := range f.state() {
		if filepath.Base(p)[0] == '.' {
			t.Errorf("stray file %s under the root", p)
		}
	}
}
