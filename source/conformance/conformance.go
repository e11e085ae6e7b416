// Package conformance is the test suite every source.Source must pass.
//
// A backend's tests call Run with a function that sets up a fresh remote
// (a git server, an SFTP server) and a Source following it. The suite edits
// the remote through the Fixture in repository terms, publishes, and
// checks what Poll and Fetch hand over.
package conformance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
	"github.com/berth-nix/berth/source/tree"
)

// Host and HostDir are the host the suite's sources follow.
const (
	Host    = "laptop1"
	HostDir = "hosts/laptop1"
)

// Fixture is one remote under test and a Source following HostDir on it.
type Fixture struct {
	Source source.Source
	// WriteFile, Symlink and Remove edit the repository (slash paths from
	// its root); Symlink stores target verbatim.
	WriteFile func(rel, content string)
	Symlink   func(rel, target string)
	Remove    func(rel string)
	// Publish makes the edits so far visible to the Source (commit and
	// push, or publish to the server).
	Publish func()
}

// Factory sets up a fresh, empty remote and a Source for Host and HostDir
// on it; cleanup is registered with t.
type Factory func(t *testing.T) Fixture

// Run runs every conformance test against the sources newFixture makes.
func Run(t *testing.T, newFixture Factory) {
	for _, c := range []struct {
		name string
		test func(*testing.T, Fixture)
	}{
		{"FirstFetch", testFirstFetch},
		{"NewRevision", testNewRevision},
		{"OtherHostOnly", testOtherHostOnly},
		{"SharedModuleLink", testSharedModuleLink},
		{"EscapingLinkRefused", testEscapingLink},
		{"FilesLinkKeptAsLink", testFilesLink},
		{"FilesLinkLeavingFilesRefused", testFilesLinkLeaving},
		{"MissingHostDir", testMissingHostDir},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, newFixture(t)) })
	}
}

// ctx bounds one step of a test.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// seed writes a minimal host directory and another host's, and publishes.
func seed(f Fixture) {
	f.WriteFile(HostDir+"/flake.nix", "{ outputs = _: { }; }\n")
	f.WriteFile(HostDir+"/files/etc/motd", "hello\n")
	f.WriteFile("hosts/other/flake.nix", "{ }\n")
	f.Publish()
}

// fetch polls and fetches, checking that both agree on the revision.
func fetch(t *testing.T, f Fixture) source.Artifact {
	t.Helper()
	rev, err := f.Source.Poll(ctx(t))
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	a, err := f.Source.Fetch(ctx(t))
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if a.Revision != rev {
		t.Errorf("got Fetch revision %v, want Poll's %v", a.Revision, rev)
	}
	return a
}

// wantFile checks the content of a staged file.
func wantFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("%s: got %q, %v, want %q", path, got, err, want)
	}
}

func testFirstFetch(t *testing.T, f Fixture) {
	seed(f)
	a := fetch(t, f)
	if a.Host != Host || a.Digest == "" || a.LastUpdateTime.IsZero() {
		t.Errorf("got host %q digest %q time %v, want %q, a digest and a time", a.Host, a.Digest, a.LastUpdateTime, Host)
	}
	if want := int64(len("{ outputs = _: { }; }\n") + len("hello\n")); a.Size != want {
		t.Errorf("got size %v, want %v", a.Size, want)
	}
	if filepath.Base(a.Path) != a.Digest[len("sha256:"):] {
		t.Errorf("got path %v, want it named after digest %v", a.Path, a.Digest)
	}
	wantFile(t, filepath.Join(a.FlakeDir(), "flake.nix"), "{ outputs = _: { }; }\n")
	wantFile(t, filepath.Join(a.FilesDir(), "etc/motd"), "hello\n")
	if _, err := os.Stat(filepath.Join(a.FlakeDir(), "files")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v for flake/files, want it absent", err)
	}
}

func testNewRevision(t *testing.T, f Fixture) {
	seed(f)
	first := fetch(t, f)
	f.WriteFile(HostDir+"/files/etc/motd", "changed\n")
	f.Publish()
	second := fetch(t, f)
	if second.Revision == first.Revision || second.Digest == first.Digest {
		t.Errorf("got revision %v digest %v, want both to differ from %v %v", second.Revision, second.Digest, first.Revision, first.Digest)
	}
	wantFile(t, filepath.Join(second.FilesDir(), "etc/motd"), "changed\n")
	wantFile(t, filepath.Join(first.FilesDir(), "etc/motd"), "hello\n")
}

func testOtherHostOnly(t *testing.T, f Fixture) {
	seed(f)
	first := fetch(t, f)
	f.WriteFile("hosts/other/flake.nix", "{ changed = true; }\n")
	f.Publish()
	second := fetch(t, f)
	if second.Digest != first.Digest || second.Path != first.Path {
		t.Errorf("got digest %v path %v, want %v %v (another host's change)", second.Digest, second.Path, first.Digest, first.Path)
	}
}

func testSharedModuleLink(t *testing.T, f Fixture) {
	f.WriteFile("modules/common/base.nix", "{ base = 1; }\n")
	f.WriteFile("modules/tools.nix", "{ tools = 1; }\n")
	f.Symlink(HostDir+"/common", "../../modules/common")
	f.Symlink(HostDir+"/tools.nix", "../../modules/tools.nix")
	seed(f)
	a := fetch(t, f)
	wantFile(t, filepath.Join(a.FlakeDir(), "common/base.nix"), "{ base = 1; }\n")
	wantFile(t, filepath.Join(a.FlakeDir(), "tools.nix"), "{ tools = 1; }\n")
	fi, err := os.Lstat(filepath.Join(a.FlakeDir(), "common"))
	if err != nil || !fi.IsDir() {
		t.Errorf("got %v, %v for the staged shared dir, want a real directory", fi, err)
	}
}

func testEscapingLink(t *testing.T, f Fixture) {
	f.Symlink(HostDir+"/secrets", "../../../etc")
	seed(f)
	_, err := f.Source.Fetch(ctx(t))
	if fault.ClassOf(err) != fault.Stalling {
		t.Fatalf("got %v (class %v), want a stalling error", err, fault.ClassOf(err))
	}
	if want := HostDir + "/secrets"; !contains(err, want) {
		t.Errorf("got %v, want it to name %s", err, want)
	}
}

// testFilesLink: a link below files/ that points inside it is staged as
// the same link (and so installed as a link), not as a copy; changing
// its target is a new configuration.
func testFilesLink(t *testing.T, f Fixture) {
	f.WriteFile(HostDir+"/files/etc/h6-target", "target\n")
	f.Symlink(HostDir+"/files/etc/h6-link", "h6-target")
	seed(f)
	first := fetch(t, f)
	p := filepath.Join(first.FilesDir(), "etc/h6-link")
	if target, err := os.Readlink(p); err != nil || target != "h6-target" {
		t.Errorf("%s: got link to %q (%v), want a link to h6-target", p, target, err)
	}
	f.Remove(HostDir + "/files/etc/h6-link")
	f.Symlink(HostDir+"/files/etc/h6-link", "motd")
	f.Publish()
	if second := fetch(t, f); second.Digest == first.Digest {
		t.Errorf("a new link target left the digest at %s", first.Digest)
	}
}

// testFilesLinkLeaving: a link below files/ pointing out of it (here at
// the flake) is refused, naming the link, even though it stays inside
// the repository.
func testFilesLinkLeaving(t *testing.T, f Fixture) {
	f.Symlink(HostDir+"/files/etc/h6-flake", "../../flake.nix")
	seed(f)
	_, err := f.Source.Fetch(ctx(t))
	if fault.ClassOf(err) != fault.Stalling {
		t.Fatalf("got %v (class %v), want a stalling error", err, fault.ClassOf(err))
	}
	if want := HostDir + "/files/etc/h6-flake: symlink to ../../flake.nix leaves files/"; !contains(err, want) {
		t.Errorf("got %v, want it to contain %q", err, want)
	}
}

func testMissingHostDir(t *testing.T, f Fixture) {
	f.WriteFile("hosts/other/flake.nix", "{ }\n")
	f.Publish()
	_, err := f.Source.Fetch(ctx(t))
	if !errors.Is(err, tree.ErrNoHostDir) || fault.ClassOf(err) != fault.Stalling {
		t.Fatalf("got %v (class %v), want a stalling ErrNoHostDir", err, fault.ClassOf(err))
	}
	if !contains(err, HostDir) {
		t.Errorf("got %v, want it to name %s", err, HostDir)
	}
}

func contains(err error, s string) bool {
	return err != nil && len(s) > 0 && strings.Contains(err.Error(), s)
}
