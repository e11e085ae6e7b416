package publish

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/source/manifest"
	"github.com/berth-nix/berth/source/tree"
)

// env is a fleet directory and a chroots directory with chroots for the
// given hosts.
type env struct {
	t              *testing.T
	fleet, chroots string
	runCount       int
}

func newEnv(t *testing.T, chroots ...string) *env {
	e := &env{t: t, fleet: t.TempDir(), chroots: t.TempDir()}
	for _, h := range chroots {
		if err := os.MkdirAll(filepath.Join(e.chroots, h, "config"), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) write(rel, content string, mode os.FileMode) {
	e.t.Helper()
	p := filepath.Join(e.fleet, rel)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		e.t.Fatal(err)
	}
	os.Chmod(p, mode)
}

func (e *env) run(dry bool, hosts ...string) map[string]Result {
	e.t.Helper()
	e.runCount++
	res, err := Run(context.Background(), Options{
		Fleet: e.fleet, Chroots: e.chroots, Hosts: hosts, DryRun: dry,
		Now: func() time.Time { return time.Unix(int64(e.runCount), 0) },
	})
	if err != nil {
		e.t.Fatalf("Run: %v", err)
	}
	out := map[string]Result{}
	for _, r := range res {
		out[r.Host] = r
	}
	return out
}

func (e *env) manifest(host string) *manifest.Manifest {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.chroots, host, "config", manifest.Name))
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := manifest.Parse(data, tree.Limits{})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) trees(host string) []string {
	list, _ := os.ReadDir(filepath.Join(e.chroots, host, "config", manifest.TreesDir))
	var out []string
	for _, de := range list {
		out = append(out, de.Name())
	}
	return out
}

func TestPublishLifecycle(t *testing.T) {
	e := newEnv(t, "alpha")
	e.write("hosts/alpha/flake.nix", "{ v = 1; }\n", 0o644)
	e.write("hosts/alpha/files/etc/motd", "hi\n", 0o644)
	r := e.run(false)["alpha"]
	if r.Action != Published || r.Previous != "" {
		t.Fatalf("first publish: got %+v, want published with no previous", r)
	}
	first := e.manifest("alpha")
	if first.Serial != 1 || first.Revision() != r.Revision {
		t.Errorf("got serial %d revision %s, want 1 and %s", first.Serial, first.Revision(), r.Revision)
	}
	before, _ := os.ReadFile(filepath.Join(e.chroots, "alpha/config", manifest.Name))
	if r := e.run(false)["alpha"]; r.Action != Unchanged {
		t.Errorf("republish: got %+v, want unchanged", r)
	}
	after, _ := os.ReadFile(filepath.Join(e.chroots, "alpha/config", manifest.Name))
	if !bytes.Equal(before, after) {
		t.Errorf("an unchanged publish rewrote the manifest")
	}
	for v, want := range []int{2, 2, 2} {
		e.write("hosts/alpha/flake.nix", "{ v = "+string(rune('2'+v))+"; }\n", 0o644)
		prev := e.manifest("alpha").Revision()
		r := e.run(false)["alpha"]
		m := e.manifest("alpha")
		if r.Action != Published || r.Previous != prev || m.Serial != uint64(v+2) {
			t.Errorf("publish %d: got %+v serial %d, want published after %s with serial %d", v, r, m.Serial, prev, v+2)
		}
		if got := len(e.trees("alpha")); got != want {
			t.Errorf("publish %d: got %d trees %v, want %d (current and previous)", v, got, e.trees("alpha"), want)
		}
	}
}

func TestPublishedLayoutAndAccess(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "needs root to give published files the chroot's group")
	}
	for _, c := range []struct {
		name             string
		dirMode          os.FileMode
		gid              int
		file, exec, tdir os.FileMode
	}{
		{"root's group", 0o750, 0, 0o640, 0o750, 0o750},
		{"the host's group", 0o750, 4242, 0o640, 0o750, 0o750},
		{"group may write", 0o770, 4242, 0o640, 0o750, 0o750},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "alpha")
			cfg := filepath.Join(e.chroots, "alpha/config")
			os.Chmod(cfg, c.dirMode)
			os.Chown(cfg, 0, c.gid)
			e.write("hosts/alpha/flake.nix", "{ }\n", 0o600)
			e.write("hosts/alpha/files/bin/run", "#!/bin/sh\n", 0o777)
			e.write("hosts/alpha/files/etc/db.password", "hunter2\n", 0o666)
			e.run(false)
			root := filepath.Join(cfg, e.manifest("alpha").TreeDir())
			for rel, want := range map[string]os.FileMode{
				"flake/flake.nix": c.file, "files/bin/run": c.exec, "files/bin": c.tdir, ".": c.tdir,
				"files/etc/db.password":  c.file,
				"../../" + manifest.Name: c.file,
			} {
				fi, err := os.Stat(filepath.Join(root, rel))
				if err != nil {
					t.Fatal(err)
				}
				gid := int(fi.Sys().(*syscall.Stat_t).Gid)
				if fi.Mode().Perm() != want || gid != c.gid {
					t.Errorf("%s: got mode %v gid %d, want %v gid %d", rel, fi.Mode().Perm(), gid, want, c.gid)
				}
			}
		})
	}
}

// TestRefusesConfigOthersCanRead: a configuration directory that users
// other than root and the host's group can read or enter would expose
// the host's secrets; publishing into it fails for that host, names the
// directory, and writes nothing.
func TestRefusesConfigOthersCanRead(t *testing.T) {
	for _, mode := range []os.FileMode{0o755, 0o751, 0o754} {
		e := newEnv(t, "alpha")
		cfg := filepath.Join(e.chroots, "alpha/config")
		if err := os.Chmod(cfg, mode); err != nil {
			t.Fatal(err)
		}
		e.write("hosts/alpha/flake.nix", "{ }\n", 0o644)
		e.write("hosts/alpha/files/etc/db.password", "hunter2\n", 0o600)
		for _, dry := range []bool{true, false} {
			r := e.run(dry)["alpha"]
			if r.Action != Failed || !strings.Contains(r.Reason, cfg+" is open to every user") {
				t.Errorf("mode %v, dry run %v: got %+v, want a failure naming %s", mode, dry, r, cfg)
			}
		}
		if list, _ := os.ReadDir(cfg); len(list) != 0 {
			t.Errorf("mode %v: publish wrote %v", mode, list)
		}
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	e := newEnv(t, "alpha")
	e.write("hosts/alpha/flake.nix", "{ }\n", 0o644)
	r := e.run(true)["alpha"]
	if r.Action != Published {
		t.Errorf("got %+v, want a would-be publish", r)
	}
	list, _ := os.ReadDir(filepath.Join(e.chroots, "alpha/config"))
	if len(list) != 0 {
		t.Errorf("dry run wrote %v", list)
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t, "alpha", "gone")
	e.write("hosts/alpha/flake.nix", "{ }\n", 0o644)
	e.write("hosts/beta/flake.nix", "{ }\n", 0o644)
	e.write(".git/HEAD", "x", 0o644)
	first := e.run(false)
	good := e.manifest("alpha").TreeDir()
	os.Symlink("../../../etc", filepath.Join(e.fleet, "hosts/alpha/secrets"))
	res := e.run(false)
	if r := res["alpha"]; r.Action != Refused || !strings.Contains(r.Reason, "hosts/alpha/secrets") {
		t.Errorf("alpha: got %+v, want refused naming hosts/alpha/secrets", r)
	}
	if m := e.manifest("alpha"); m.Refused == nil || m.Refused.NoHostDir {
		t.Errorf("alpha: got manifest %+v, want a refusal", m)
	}
	if _, err := os.Stat(filepath.Join(e.chroots, "alpha/config", good)); err != nil {
		t.Errorf("the last good tree is gone after a refusal: %v", err)
	}
	if r := res["beta"]; r.Action != NoChroot {
		t.Errorf("beta: got %+v, want no-chroot", r)
	}
	if m := e.manifest("gone"); first["gone"].Action != Refused || res["gone"].Action != Unchanged || !m.Refused.NoHostDir {
		t.Errorf("gone: got %+v then %+v, manifest %+v, want a no-host-dir refusal once", first["gone"], res["gone"], m)
	}
	if len(res) != 3 {
		t.Errorf("got results for %v, want alpha, beta and gone only", res)
	}
	if r := e.run(false, "alpha")["alpha"]; r.Action != Unchanged {
		t.Errorf("same refusal again: got %+v, want unchanged", r)
	}
}

func TestBadInvocations(t *testing.T) {
	e := newEnv(t, "alpha")
	for _, o := range []Options{
		{Fleet: e.fleet},
		{Fleet: e.fleet, Chroots: e.chroots, Hosts: []string{"../etc"}},
		{Fleet: e.fleet, Chroots: e.chroots, HostDir: "machines/{hostname}/nixos"},
	} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%+v: got no error", o)
		}
	}
	unlock, err := lock(e.chroots)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	os.MkdirAll(filepath.Join(e.fleet, "hosts"), 0o755)
	if _, err := Run(context.Background(), Options{Fleet: e.fleet, Chroots: e.chroots}); err == nil || !strings.Contains(err.Error(), "another publish") {
		t.Errorf("got %v, want the lock refused", err)
	}
}

// TestFilesLinksArePublishedAsLinks: a link below files/ is published as
// the same link (its own mode untouched, its target not chmodded), and an
// unchanged host with links is found intact on the next run.
func TestFilesLinksArePublishedAsLinks(t *testing.T) {
	e := newEnv(t, "alpha")
	e.write("hosts/alpha/flake.nix", "{ }\n", 0o644)
	e.write("hosts/alpha/files/etc/target", "t\n", 0o644)
	if err := os.Symlink("target", filepath.Join(e.fleet, "hosts/alpha/files/etc/link")); err != nil {
		t.Fatal(err)
	}
	if r := e.run(false)["alpha"]; r.Action != Published {
		t.Fatalf("got %+v, want published", r)
	}
	root := filepath.Join(e.chroots, "alpha/config", e.manifest("alpha").TreeDir())
	if got, err := os.Readlink(filepath.Join(root, "files/etc/link")); err != nil || got != "target" {
		t.Errorf("published link: got %q, %v, want a link to target", got, err)
	}
	if r := e.run(false)["alpha"]; r.Action != Unchanged {
		t.Errorf("second run: got %+v, want unchanged", r)
	}
}
