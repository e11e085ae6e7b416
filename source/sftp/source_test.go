package sftpsource

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/sshpin"
	"github.com/berth-nix/berth/source"
	"github.com/berth-nix/berth/source/conformance"
	"github.com/berth-nix/berth/source/manifest"
)

const hostDir = conformance.HostDir

func TestConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fixture { return newServer(t).fixture() })
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// seedBig publishes a host with a large incompressible file, so that a
// download of it stands out in the byte counts.
func seedBig(t *testing.T, s *server) []byte {
	big := make([]byte, 1<<20)
	rand.Read(big)
	s.writeFile(hostDir+"/flake.nix", "{ }\n")
	s.writeFile(hostDir+"/files/blob", string(big))
	s.writeFile(hostDir+"/files/etc/motd", "hello\n")
	s.publish()
	return big
}

func mustFetch(t *testing.T, src *Source) source.Artifact {
	t.Helper()
	a, err := src.Fetch(ctx(t))
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return a
}

func readStaged(t *testing.T, a source.Artifact, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(a.Path, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTransfers counts the bytes the source receives: a poll, and a fetch
// of an unchanged tree, cost a handshake and the manifest; a change costs
// the changed file only.
func TestTransfers(t *testing.T) {
	s := newServer(t)
	big := seedBig(t, s)
	var m meter
	c := s.config()
	c.Dial = m.dial
	src := s.source(c)
	first := mustFetch(t, src)
	if n := m.take(); n < 1<<20 {
		t.Fatalf("first fetch received %d bytes, want at least the 1 MiB file", n)
	}
	if readStaged(t, first, "files/blob") != string(big) {
		t.Fatalf("staged blob differs from the published one")
	}
	const small = 64 << 10 // a handshake and a manifest, with room to spare
	if _, err := src.Poll(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := m.take(); n > small {
		t.Errorf("poll received %d bytes, want at most %d", n, small)
	}
	again := mustFetch(t, src)
	if n := m.take(); n > small || again.Path != first.Path {
		t.Errorf("unchanged fetch received %d bytes (want at most %d), path %v (want %v)", n, small, again.Path, first.Path)
	}
	s.writeFile(hostDir+"/files/etc/motd", "changed\n")
	s.publish()
	changed := mustFetch(t, src)
	if n := m.take(); n > small {
		t.Errorf("fetch of one changed small file received %d bytes, want at most %d", n, small)
	}
	if got := readStaged(t, changed, "files/etc/motd"); got != "changed\n" || readStaged(t, changed, "files/blob") != string(big) {
		t.Errorf("got motd %q and a blob of the right content? want the change applied over the cached tree", got)
	}
}

// TestDroppedConnection cuts the connection in the middle of the big
// file: no artifact, a transient error, nothing half-staged, and the next
// fetch succeeds.
func TestDroppedConnection(t *testing.T) {
	for _, hang := range []bool{false, true} {
		name := map[bool]string{false: "closed", true: "silent"}[hang]
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			seedBig(t, s)
			c := s.config()
			c.Dial, c.IOTimeout = dialCut(256<<10, hang), 2*time.Second
			start := time.Now()
			_, err := s.source(c).Fetch(ctx(t))
			if err == nil || fault.ClassOf(err) != fault.Transient {
				t.Fatalf("got %v (class %v), want a transient error", err, fault.ClassOf(err))
			}
			if hang && (!strings.Contains(err.Error(), "no data from the server") || time.Since(start) > 20*time.Second) {
				t.Errorf("got %v after %s, want the watchdog to drop the silent connection", err, time.Since(start))
			}
			if list, _ := os.ReadDir(c.StageDir); len(list) != 0 {
				t.Errorf("stage dir holds %v after a failed fetch, want nothing", list)
			}
			c.Dial = nil
			a := mustFetch(t, s.source(c))
			if left, _ := filepath.Glob(filepath.Join(c.StateDir, incomingGlob)); len(left) != 0 || a.Digest == "" {
				t.Errorf("got leftovers %v, digest %q; want none and an artifact", left, a.Digest)
			}
		})
	}
}

// TestCorruptOnServer truncates a published file: the fetch fails without
// an artifact, and the next publish notices and repairs the tree.
func TestCorruptOnServer(t *testing.T) {
	s := newServer(t)
	seedBig(t, s)
	src := s.source(s.config())
	m := published(t, s)
	blob := filepath.Join(s.configDir(), m.TreeDir(), "files/blob")
	if err := os.Truncate(blob, 1000); err != nil {
		t.Fatal(err)
	}
	_, err := src.Fetch(ctx(t))
	if fault.ClassOf(err) != fault.Transient || !strings.Contains(err.Error(), "files/blob") {
		t.Fatalf("got %v (class %v), want a transient error naming files/blob", err, fault.ClassOf(err))
	}
	if res := s.publish(); res[0].Action != "published" {
		t.Errorf("republish: got %+v, want the damaged tree published again", res)
	}
	mustFetch(t, src)
}

func published(t *testing.T, s *server) *manifest.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.configDir(), manifest.Name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(data, s.config().Limits)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHostKeys(t *testing.T) {
	s := newServer(t)
	seedBig(t, s)
	c := s.config()
	other := filepath.Join(t.TempDir(), "known_hosts")
	pinned, _ := os.ReadFile(c.KnownHostsFile)
	// The same key pinned for another port: this server is unknown.
	os.WriteFile(other, []byte(strings.Replace(string(pinned), s.sftp.Addr()[len("127.0.0.1:"):], "1", 1)), 0o644)
	unknown := c
	unknown.KnownHostsFile = other
	s.sftp.RotateHostKey()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"changed", c, "CHANGED"},
		{"unknown", unknown, "not in the known_hosts file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := s.source(tc.cfg)
			_, perr := src.Poll(ctx(t))
			_, ferr := src.Fetch(ctx(t))
			for _, err := range []error{perr, ferr} {
				if !errors.Is(err, sshpin.ErrHostKey) || !strings.Contains(err.Error(), tc.want) || fault.ClassOf(err) != fault.Transient {
					t.Errorf("got %v, want a transient host key error saying %q", err, tc.want)
				}
			}
		})
	}
	c.KnownHostsFile = s.sftp.KnownHostsPath()
	mustFetch(t, s.source(c))
}

func TestWrongHostRefused(t *testing.T) {
	s := newServer(t)
	seedBig(t, s)
	c := s.config()
	c.Host = "laptop2"
	_, err := s.source(c).Fetch(ctx(t))
	if fault.ClassOf(err) != fault.Stalling || !strings.Contains(err.Error(), `published for host "laptop1"`) {
		t.Errorf("got %v, want a stalling error naming the manifest's host", err)
	}
}

func TestNothingPublished(t *testing.T) {
	s := newServer(t)
	_, err := s.source(s.config()).Poll(ctx(t))
	if fault.ClassOf(err) != fault.Stalling || !strings.Contains(err.Error(), "nothing published") {
		t.Errorf("got %v, want a stalling 'nothing published' error", err)
	}
}
