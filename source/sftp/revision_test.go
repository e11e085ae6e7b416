package sftpsource

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-nix/berth/source/manifest"
)

// TestPollReadsOnlyTheRevisionFile: with 2,000 files published the
// manifest is hundreds of kilobytes; a poll must not grow with it.
func TestPollReadsOnlyTheRevisionFile(t *testing.T) {
	s := newServer(t)
	s.writeFile(hostDir+"/flake.nix", "{ }\n")
	for i := range 2000 {
		s.writeFile(fmt.Sprintf("%s/files/etc/many/f%04d", hostDir, i), "x\n")
	}
	s.publish()
	var m meter
	c := s.config()
	c.Dial = m.dial
	src := s.source(c)
	rev, err := src.Poll(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	manifestSize := fileSize(t, filepath.Join(s.configDir(), manifest.Name))
	if n := m.take(); n > 16<<10 || manifestSize < 100<<10 {
		t.Errorf("poll received %d bytes with a %d-byte manifest, want a handshake and a few bytes only", n, manifestSize)
	}
	a := mustFetch(t, src)
	if a.Revision != rev {
		t.Errorf("poll said %s, fetch got %s", rev, a.Revision)
	}
}

// TestPollWithoutRevisionFile: a chroot published by an older berth, or
// whose revision file is damaged, is polled through its manifest.
func TestPollWithoutRevisionFile(t *testing.T) {
	s := newServer(t)
	seedBig(t, s)
	want := mustFetch(t, s.source(s.config())).Revision
	revFile := filepath.Join(s.configDir(), manifest.RevisionName)
	for _, damage := range []func() error{
		func() error { return os.WriteFile(revFile, []byte("garbage\n"), 0o644) },
		func() error { return os.Remove(revFile) },
	} {
		if err := damage(); err != nil {
			t.Fatal(err)
		}
		got, err := s.source(s.config()).Poll(ctx(t))
		if err != nil || got != want {
			t.Errorf("got %q, %v; want %q from the manifest", got, err, want)
		}
	}
	// The next publish repairs the file although nothing else changed.
	s.publish()
	data, err := os.ReadFile(revFile)
	if err != nil || string(data) != want+"\n" {
		t.Errorf("revision file after publish: got %q, %v; want %q", data, err, want+"\n")
	}
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
