package sftpsource

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-nix/berth/source/manifest"
)

// TestManifestReadInParts: after one file of a 2,000-file tree changed, a
// fetch receives at most a tenth of the manifest's size (it reads the
// parts file and the changed parts only, on top of the SSH handshake and
// the file itself), and stages the change.
func TestManifestReadInParts(t *testing.T) {
	s := newServer(t)
	s.writeFile(hostDir+"/flake.nix", "{ }\n")
	for i := range 2000 {
		s.writeFile(fmt.Sprintf("%s/files/etc/d%02d/f%04d.conf", hostDir, i%40, i), fmt.Sprintf("setting = %d\n", i))
	}
	s.publish()
	var m meter
	c := s.config()
	c.Dial = m.dial
	src := s.source(c)
	mustFetch(t, src)
	src.Close()
	whole, err := os.ReadFile(filepath.Join(s.configDir(), manifest.Name))
	if err != nil {
		t.Fatal(err)
	}
	m.take()

	s.writeFile(hostDir+"/files/etc/d07/f1007.conf", "setting = changed\n")
	s.publish()
	a := mustFetch(t, src)
	got := m.take()
	t.Logf("manifest %d bytes; fetch after one change received %d bytes", len(whole), got)
	if got > int64(len(whole))/10 {
		t.Errorf("fetch received %d bytes, want at most a tenth of the %d-byte manifest", got, len(whole))
	}
	if b := readStaged(t, a, "files/etc/d07/f1007.conf"); b != "setting = changed\n" {
		t.Errorf("got %q staged, want the change", b)
	}
}

// TestPartsCoverTheManifest: the parts of an encoded manifest cover it in
// order, the parts file round-trips, and a changed entry changes few parts.
func TestPartsCoverTheManifest(t *testing.T) {
	m := &manifest.Manifest{Version: manifest.Version, Host: "h"}
	for i := range 500 {
		m.Files = append(m.Files, manifest.File{Path: fmt.Sprintf("f%04d", i), Mode: manifest.ModeFile, Size: 1,
			SHA256: fmt.Sprintf("%064x", uint64(i)*0x9e3779b97f4a7c15)})
	}
	data, _ := m.Encode()
	sum, size, parts, err := manifest.ParsePartsFile(manifest.PartsFile(data))
	if err != nil || size != int64(len(data)) || len(parts) < 10 || sum == "" {
		t.Fatalf("got %d parts of %d bytes, %v; want ≥ 10 covering %d", len(parts), size, err, len(data))
	}
	m.Files[250].SHA256 = fmt.Sprintf("%064x", 7)
	changed, _ := m.Encode()
	old := map[string]bool{}
	for _, p := range parts {
		old[p.SHA256] = true
	}
	var fresh int
	for _, p := range manifest.Parts(changed) {
		if !old[p.SHA256] {
			fresh++
		}
	}
	if fresh > 2 {
		t.Errorf("one changed entry changed %d parts, want at most 2", fresh)
	}
}
