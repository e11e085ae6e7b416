package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/e2e/testhost"
)

// TestPrebuilt deploys systems built on this machine to a test host
// through a real signed binary cache served over HTTP: the host fetches
// them with its own trusted key and evaluates nothing. Refused without
// any change: an unsigned path, a path signed by a key the host does not
// trust, a path that is not a NixOS system. An unreachable cache is a
// transient failure, retried once it is back. Every applied attempt
// records what changed.
func TestPrebuilt(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	c := newBinaryCache(t)
	nonce := time.Now().UnixNano()
	good1 := c.build(t, fmt.Sprintf("24.05.pb%d.1", nonce), c.key)
	f := newFleetHost(t, alphaV1(), fmt.Sprintf("prebuilt:\n  substituters: [%q]\n", c.url()))
	f.write("/etc/nix/nix.conf", hostNixConf(c.pub), 0o644)
	f.h.Run(t, "truncate", "-s0", "/var/log/nix-invocations")

	t.Run("prebuilt applied without evaluation", func(t *testing.T) {
		f.t = t
		declare(f, good1)
		f.run(0)
		if s := f.system(); s.current != good1 || s.profile != good1 || s.boot != good1 {
			t.Fatalf("got %+v, want %s running, in the profile and booted", s, good1)
		}
		if w := f.nixWords(); slices.Contains(w, "build") || slices.Contains(w, "eval") || !slices.Contains(w, "copy") {
			t.Errorf("nix ran on the host as %v; want a copy and no build or eval", w)
		}
		d := f.lastDiff()
		if d == nil || d.Before != f.base || d.After != good1 {
			t.Fatalf("history diff: got %+v, want %s → %s", d, f.base, good1)
		}
	})
	t.Run("unsigned path refused", func(t *testing.T) {
		f.t = t
		f.refused(c.build(t, fmt.Sprintf("24.05.pb%d.unsigned", nonce), ""), good1, "not signed by any key")
	})
	t.Run("path signed by an untrusted key refused", func(t *testing.T) {
		f.t = t
		f.refused(c.build(t, fmt.Sprintf("24.05.pb%d.other", nonce), c.otherKey), good1, "not signed by any key")
	})
	t.Run("not a NixOS system refused", func(t *testing.T) {
		f.t = t
		kernel, err := filepath.EvalSymlinks(good1 + "/kernel")
		if err != nil {
			t.Fatal(err)
		}
		f.refused(filepath.Dir(kernel), good1, "not a NixOS system")
	})
	t.Run("unreachable cache is transient and retried", func(t *testing.T) {
		f.t = t
		good2 := c.build(t, fmt.Sprintf("24.05.pb%d.2", nonce), c.key)
		declare(f, good2)
		c.down.Store(true)
		f.run(1)
		st := f.status()
		if f.system().current != good1 || st.State.FetchFailures == 0 || !strings.Contains(st.State.Last.Error, "could not be reached") {
			t.Fatalf("got system %+v, status %+v; want %s still running and a transient failure", f.system(), st.State.Last, good1)
		}
		c.down.Store(false)
		f.run(0)
		if s := f.system(); s.current != good2 || s.boot != good2 {
			t.Fatalf("after the cache came back got %+v, want %s", s, good2)
		}
		d := f.lastDiff()
		want := fmt.Sprintf("nixos-system-alpha: 24.05.pb%d.1 → 24.05.pb%d.2", nonce, nonce)
		if d == nil || len(d.Packages) == 0 || d.Packages[0].String() != want {
			t.Errorf("history diff: got %+v, want the line %q", d, want)
		}
		if out, _ := f.berth("history", "--diff"); !strings.Contains(out, want) || !strings.Contains(out, "1 changed") {
			t.Errorf("berth history --diff does not show the change:\n%s", out)
		}
	})
}

// refused declares top and checks the attempt was refused for good,
// naming why, with the running system still want.
func (f *fleetHost) refused(top, want, why string) {
	f.t.Helper()
	declare(f, top)
	f.run(1)
	if s := f.system(); s.current != want || s.profile != want || s.boot != want {
		f.t.Fatalf("got %+v, want %s unchanged", s, want)
	}
	st := f.status()
	if st.State.Rejected == nil || !strings.Contains(st.State.Rejected.Reason, why) {
		f.t.Fatalf("status rejected %+v, want a refusal saying %q", st.State.Rejected, why)
	}
	if f.run(3); f.system().current != want {
		f.t.Errorf("a refused revision was tried again")
	}
}

// declare commits and pushes hosts/alpha/prebuilt.json naming top.
func declare(f *fleetHost, top string) {
	f.t.Helper()
	f.repo.WriteFile(fixture.HostDir("alpha")+"/prebuilt.json", fmt.Sprintf(`{"toplevel": %q}`+"\n", top))
	f.repo.Commit("alpha: prebuilt " + top)
	f.repo.Push()
}

// nixWords lists every word of every nix invocation the image's wrapper
// recorded; a subcommand such as build or eval shows as a word of its own.
func (f *fleetHost) nixWords() []string {
	return strings.Fields(f.h.Run(f.t, "cat", "/var/log/nix-invocations"))
}

// recordedDiff is the part of an attempt's closure diff the tests read.
type recordedDiff struct {
	Before, After string
	Packages      []diffLine
}

// lastDiff is the closure diff of the newest attempt in the history.
func (f *fleetHost) lastDiff() *recordedDiff {
	f.t.Helper()
	out, code := f.berth("history", "--json", "-n", "1")
	var atts []struct{ Diff *recordedDiff }
	if err := json.Unmarshal([]byte(out), &atts); code != 0 || err != nil || len(atts) != 1 {
		f.t.Fatalf("berth history --json: exit %d, %v\n%s", code, err, out)
	}
	return atts[0].Diff
}

// diffLine is one package change of a recorded diff.
type diffLine struct{ Name, Kind, Before, After string }

func (l diffLine) String() string {
	return l.Name + ": " + orEmpty(l.Before) + " → " + orEmpty(l.After)
}

func orEmpty(v string) string {
	if v == "" {
		return "∅"
	}
	return v
}

// binaryCache is a signed binary cache on this machine's disk, served over
// HTTP on loopback, that can be made to drop every connection.
type binaryCache struct {
	dir           string
	srv           *httptest.Server
	down          atomic.Bool
	key, otherKey string // secret key files
	pub           string // the public key of key
}

func newBinaryCache(t *testing.T) *binaryCache {
	t.Helper()
	c := &binaryCache{dir: t.TempDir()}
	c.key, c.pub = newCacheKey(t, "berth-e2e-1")
	c.otherKey, _ = newCacheKey(t, "berth-e2e-other")
	files := http.FileServer(http.Dir(c.dir))
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.down.Load() {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *binaryCache) url() string { return c.srv.URL + "/cache" }

// build builds alpha at version on this machine, signs its closure with
// key unless key is "", and pushes it to the cache.
func (c *binaryCache) build(t *testing.T, version, key string) string {
	t.Helper()
	dir := t.TempDir()
	h := fixture.Host{Name: "alpha", Version: version, Units: map[string]string{"hello.service": fixture.SleepService("prebuilt " + version)}}
	if err := fixture.WriteHost(dir, h); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	top, err := fixture.Build(ctx, fixture.Local, dir, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	nix := []string{"nix", "--extra-experimental-features", "nix-command"}
	if key != "" {
		localRun(t, append(nix, "store", "sign", "--recursive", "--key-file", key, top)...)
	}
	localRun(t, append(nix, "copy", "--to", "file://"+filepath.Join(c.dir, "cache"), top)...)
	return top
}

func newCacheKey(t *testing.T, name string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	localRun(t, "nix-store", "--generate-binary-cache-key", name, filepath.Join(dir, "sk"), filepath.Join(dir, "pk"))
	pub, err := os.ReadFile(filepath.Join(dir, "pk"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "sk"), strings.TrimSpace(string(pub))
}

func localRun(t *testing.T, args ...string) {
	t.Helper()
	if _, err := fixture.Local(context.Background(), args...); err != nil {
		t.Fatal(err)
	}
}

// hostNixConf is the test image's nix.conf with pub as the only trusted
// key: trust is the host's own setting, not berth's.
func hostNixConf(pub string) string {
	return "build-users-group =\nsubstituters =\nexperimental-features = nix-command flakes\nsandbox = false\n" +
		"trusted-public-keys = " + pub + "\n"
}
