package files

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secretMeta = `
/etc/app:
  secret: true
/etc/app/db.password:
  owner: daemon
  group: adm
  mode: "0640"
/usr/local/bin/tool:
  mode: 4755
`

func v1() map[string]node {
	return map[string]node{
		"etc/motd":             file("hello\n"),
		"etc/app/db.password":  file("hunter2\n"),
		"etc/app/api.key":      file("k1\n"),
		"etc/app/run.sh":       {content: "#!/bin/sh\n", mode: 0o755},
		"usr/local/bin/tool":   {content: "tool\n", mode: 0o755},
		"usr/local/bin/tool-2": {link: "tool"},
	}
}

// TestInstallLifecycle installs, updates and removes a tree under a real
// root with real owners, and checks every path each time.
func TestInstallLifecycle(t *testing.T) {
	f := newFx(t)
	f.deploy("a1", v1(), secretMeta)
	must(t, f.in.Commit("a1"))
	want := map[string]string{
		"/etc":                  "dir -rwxr-xr-x 0:0",
		"/etc/motd":             "file -rw-r--r-- 0:0 hello\n",
		"/etc/app":              "dir -rwx------ 0:0",
		"/etc/app/db.password":  "file -rw-r----- 1:4 hunter2\n",
		"/etc/app/api.key":      "file -rw------- 0:0 k1\n",
		"/etc/app/run.sh":       "file -rwx------ 0:0 #!/bin/sh\n",
		"/usr":                  "dir -rwxr-xr-x 0:0",
		"/usr/local":            "dir -rwxr-xr-x 0:0",
		"/usr/local/bin":        "dir -rwxr-xr-x 0:0",
		"/usr/local/bin/tool":   "file urwxr-xr-x 0:0 tool\n",
		"/usr/local/bin/tool-2": "link -> tool 0:0",
	}
	if got := f.state(); !sameMap(got, want) {
		t.Fatalf("after the first install got\n%v\nwant\n%v", got, want)
	}

	v2 := v1()
	v2["etc/motd"] = file("hello again\n")
	delete(v2, "etc/app/api.key")
	delete(v2, "usr/local/bin/tool-2")
	delete(v2, "usr/local/bin/tool")
	p := f.deploy("a2", v2, strings.Replace(secretMeta, "/usr/local/bin/tool:\n  mode: 4755\n", "", 1))
	must(t, f.in.Commit("a2"))
	if s := p.Summary(); !strings.Contains(s, "1 files written") || !strings.Contains(s, "6 removed") {
		t.Errorf("summary %q, want 1 written and 6 removed (3 files and 3 directories)", s)
	}
	want["/etc/motd"] = "file -rw-r--r-- 0:0 hello again\n"
	for _, gone := range []string{"/etc/app/api.key", "/usr/local/bin/tool", "/usr/local/bin/tool-2", "/usr/local/bin", "/usr/local", "/usr"} {
		delete(want, gone)
	}
	if got := f.state(); !sameMap(got, want) {
		t.Fatalf("after the update got\n%v\nwant\n%v", got, want)
	}
	m, err := f.in.Manifest()
	must(t, err)
	if len(m.Entries) != 5 {
		t.Errorf("manifest has %d entries, want 5: %+v", len(m.Entries), m.Entries)
	}
}

// TestUnchangedTreeWritesNothing: a second install of the same tree
// changes no path and keeps the inode of every file.
func TestUnchangedTreeWritesNothing(t *testing.T) {
	f := newFx(t)
	f.deploy("a1", v1(), secretMeta)
	must(t, f.in.Commit("a1"))
	before, _ := os.Stat(filepath.Join(f.root, "etc/motd"))
	p := f.deploy("a2", v1(), secretMeta)
	if len(p.ops) != 0 {
		t.Errorf("got ops %v, want none", p.Paths())
	}
	after, _ := os.Stat(filepath.Join(f.root, "etc/motd"))
	if !os.SameFile(before, after) {
		t.Errorf("an unchanged file was rewritten")
	}
}

// TestForeignFilesLeftAlone: files berth did not install are neither
// overwritten nor removed, unless declared replace.
func TestForeignFilesLeftAlone(t *testing.T) {
	f := newFx(t)
	f.put("etc/motd", "the admin's\n", 0o644)
	f.put("etc/other", "not berth's\n", 0o644)
	_, err := f.in.Plan(f.tree(map[string]node{"etc/motd": file("berth's\n")}, ""))
	if err == nil || !strings.Contains(err.Error(), "/etc/motd") || !strings.Contains(err.Error(), "replace: true") {
		t.Fatalf("got %v, want a refusal naming /etc/motd and replace: true", err)
	}
	f.deploy("a1", map[string]node{"etc/motd": file("berth's\n")}, "/etc/motd:\n  replace: true\n")
	must(t, f.in.Commit("a1"))
	f.deploy("a2", map[string]node{}, "")
	must(t, f.in.Commit("a2"))
	got := f.state()
	want := map[string]string{"/etc": "dir -rwxr-xr-x 0:0", "/etc/other": "file -rw-r--r-- 0:0 not berth's\n"}
	if !sameMap(got, want) {
		t.Errorf("got %v, want %v (the taken-over file removed with the tree, the other kept)", got, want)
	}
}
