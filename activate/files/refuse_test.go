package files

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
)

// TestRefusals: each bad tree or metadata file is refused by Plan with a
// Stalling error naming the path, and nothing under the root changes.
func TestRefusals(t *testing.T) {
	cases := []struct {
		name  string
		nodes map[string]node
		meta  string
		setup func(f *fx, files string)
		want  string
	}{
		{name: "absolute link", nodes: map[string]node{"etc/l": {link: "/etc/shadow"}}, want: "files/etc/l: link to /etc/shadow points outside the tree"},
		{name: "link climbing out", nodes: map[string]node{"etc/l": {link: "../../x"}}, want: "files/etc/l: link to ../../x points outside"},
		{name: "link into the store", nodes: map[string]node{"etc/l": {link: "../nix/store/x"}}, want: "never installs under /nix"},
		{name: "under /nix", nodes: map[string]node{"nix/store/x": file("x")}, want: "files/nix: berth never installs under /nix"},
		{name: "under /proc", nodes: map[string]node{"proc/x": file("x")}, want: "under /proc"},
		{name: "under /sys", nodes: map[string]node{"sys/x": file("x")}, want: "under /sys"},
		{name: "under /dev", nodes: map[string]node{"dev/null2": file("x")}, want: "under /dev"},
		{name: "setuid undeclared", nodes: map[string]node{"bin/su2": file("x")}, setup: func(f *fx, files string) {
			must(f.t, os.Chmod(filepath.Join(files, "bin/su2"), 0o755|os.ModeSetuid))
		}, want: "files/bin/su2: setuid/setgid bits"},
		{name: "setgid undeclared", nodes: map[string]node{"bin/sg": file("x")}, setup: func(f *fx, files string) {
			must(f.t, os.Chmod(filepath.Join(files, "bin/sg"), 0o755|os.ModeSetgid))
		}, want: "files/bin/sg: setuid/setgid bits"},
		{name: "fifo", nodes: map[string]node{"etc/x": file("x")}, setup: func(f *fx, files string) {
			must(f.t, syscall.Mkfifo(filepath.Join(files, "etc/fifo"), 0o644))
		}, want: "files/etc/fifo: a FIFO is not allowed"},
		{name: "device", nodes: map[string]node{"etc/x": file("x")}, setup: func(f *fx, files string) {
			must(f.t, syscall.Mknod(filepath.Join(files, "etc/null"), syscall.S_IFCHR|0o644, 1<<8|3))
		}, want: "files/etc/null: a device file is not allowed"},
		{name: "unknown user", nodes: map[string]node{"etc/x": file("x")}, meta: "/etc/x:\n  owner: no-such-user-berth\n", want: "files.yaml: /etc/x: user \"no-such-user-berth\""},
		{name: "unknown group", nodes: map[string]node{"etc/x": file("x")}, meta: "/etc/x:\n  group: no-such-group-berth\n", want: "files.yaml: /etc/x: group \"no-such-group-berth\""},
		{name: "declared path missing", nodes: map[string]node{"etc/x": file("x")}, meta: "/etc/y:\n  mode: \"0600\"\n", want: "files.yaml: /etc/y: no such path in files/"},
		{name: "relative path in meta", nodes: map[string]node{"etc/x": file("x")}, meta: "etc/x:\n  mode: \"0600\"\n", want: "files.yaml: \"etc/x\": paths are installed paths"},
		{name: "dotdot path in meta", nodes: map[string]node{"etc/x": file("x")}, meta: "/etc/../etc/x:\n  mode: \"0600\"\n", want: "paths are installed paths, absolute and clean"},
		{name: "unknown key in meta", nodes: map[string]node{"etc/x": file("x")}, meta: "/etc/x:\n  color: red\n", want: "field color not found"},
		{name: "bad mode in meta", nodes: map[string]node{"etc/x": file("x")}, meta: "/etc/x:\n  mode: \"0989\"\n", want: "mode \"0989\" must be an octal number"},
		{name: "foreign file in the way", nodes: map[string]node{"etc/x": file("x")}, setup: func(f *fx, _ string) {
			f.put("etc/x", "theirs", 0o644)
		}, want: "files/etc/x: a file exists there that berth did not install"},
		{name: "directory in the way of a file", nodes: map[string]node{"etc/x": file("x")}, setup: func(f *fx, _ string) {
			must(f.t, os.MkdirAll(filepath.Join(f.root, "etc/x"), 0o755))
		}, want: "files/etc/x: a directory exists there"},
		{name: "system link in the way of a directory", nodes: map[string]node{"etc/sd/unit": file("x")}, setup: func(f *fx, _ string) {
			must(f.t, os.MkdirAll(filepath.Join(f.root, "etc"), 0o755))
			must(f.t, os.Symlink("/etc/static/sd", filepath.Join(f.root, "etc/sd")))
		}, want: "files/etc/sd: a symbolic link exists there"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFx(t)
			files, meta := f.tree(c.nodes, c.meta)
			if c.setup != nil {
				c.setup(f, files)
			}
			before := f.state()
			_, err := f.in.Plan(files, meta)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if cl := fault.ClassOf(err); cl != fault.Stalling {
				t.Errorf("got class %v, want stalling", cl)
			}
			if after := f.state(); !sameMap(before, after) {
				t.Errorf("the root changed: got %v, want %v", after, before)
			}
		})
	}
}

// TestInTreeLinkInstalledAsLink: a relative link that stays in the tree
// is installed as the same link.
func TestInTreeLinkInstalledAsLink(t *testing.T) {
	f := newFx(t)
	f.deploy("a1", map[string]node{"etc/a/x": file("x"), "etc/b/y": {link: "../a/x"}}, "")
	if got := f.state()["/etc/b/y"]; got != "link -> ../a/x 0:0" {
		t.Errorf("got %q, want the link as it is", got)
	}
}
