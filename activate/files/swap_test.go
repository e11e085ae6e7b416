package files

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSwappedDirectoryIsNotFollowed: a local user who owns a directory
// berth installs into (alice's ~/.ssh) swaps it for a link to a directory
// of root's while the backup reads her old file — the moment inotify
// would tell her an install is under way. Install fails, and nothing
// outside the root is written, chmodded or chowned.
func TestSwappedDirectoryIsNotFollowed(t *testing.T) {
	f := newFx(t)
	outside := filepath.Join(filepath.Dir(f.root), "root-ssh") // stands for /root/.ssh
	must(t, os.Mkdir(outside, 0o755))
	keys := filepath.Join(outside, "authorized_keys")
	must(t, os.WriteFile(keys, []byte("root's keys\n"), 0o600))
	f.put("home/alice/.ssh/authorized_keys", "alice's keys\n", 0o644)
	for _, p := range []string{"home/alice", "home/alice/.ssh", "home/alice/.ssh/authorized_keys"} {
		must(t, os.Chown(filepath.Join(f.root, p), 1000, 1000))
	}
	meta := "/home/alice/.ssh:\n  owner: 1000\n  group: 1000\n  mode: \"0700\"\n" +
		"/home/alice/.ssh/authorized_keys:\n  owner: 1000\n  group: 1000\n  replace: true\n"
	p, err := f.in.Plan(f.tree(map[string]node{"home/alice/.ssh/authorized_keys": file("fleet keys\n")}, meta))
	must(t, err)

	ssh := filepath.Join(f.root, "home/alice/.ssh")
	testHookBackupRead = func(p string) {
		if p == "/home/alice/.ssh/authorized_keys" {
			must(t, os.Rename(ssh, ssh+".real"))
			must(t, os.Symlink(outside, ssh))
		}
	}
	t.Cleanup(func() { testHookBackupRead = nil })
	if err := f.in.Install("a1", p); err == nil {
		t.Errorf("install through a swapped directory succeeded")
	} else {
		t.Logf("install: %v", err)
	}

	if data, _ := os.ReadFile(keys); string(data) != "root's keys\n" {
		t.Errorf("root's file now holds %q", data)
	}
	for p, want := range map[string]os.FileMode{outside: os.ModeDir | 0o755, keys: 0o600} {
		fi, err := os.Stat(p)
		must(t, err)
		if uid, gid := owner(fi); fi.Mode() != want || uid != 0 || gid != 0 {
			t.Errorf("%s: mode %v owner %d:%d, want %v 0:0", p, fi.Mode(), uid, gid, want)
		}
	}
	if list, _ := os.ReadDir(outside); len(list) != 1 {
		t.Errorf("files appeared in root's directory: %v", list)
	}
	if data, _ := os.ReadFile(filepath.Join(ssh+".real", "authorized_keys")); string(data) != "alice's keys\n" {
		t.Errorf("alice's moved file now holds %q", data)
	}
}

// TestChangedSincePlanIsRefused: a path whose kind or owner changed
// between planning and installing is not touched; the install fails and
// what it did is restored.
func TestChangedSincePlanIsRefused(t *testing.T) {
	for name, change := range map[string]func(f *fx, p string){
		"owner": func(f *fx, p string) { must(f.t, os.Chown(p, 1000, 1000)) },
		"kind": func(f *fx, p string) {
			must(f.t, os.Remove(p))
			must(f.t, os.Mkdir(p, 0o755))
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFx(t)
			f.put("etc/motd", "the admin's\n", 0o644)
			p, err := f.in.Plan(f.tree(map[string]node{"etc/motd": file("fleet\n"), "etc/new": file("new\n")}, "/etc/motd:\n  replace: true\n"))
			must(t, err)
			change(f, filepath.Join(f.root, "etc/motd"))
			before := f.state()
			if err := f.in.Install("a1", p); err == nil {
				t.Fatalf("install over a changed path succeeded")
			}
			if got := f.state(); !sameMap(got, before) {
				t.Errorf("after the failed install got\n%v\nwant\n%v", got, before)
			}
		})
	}
}
