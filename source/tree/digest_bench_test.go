package tree

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// benchHostDir writes a host directory of n 2 KiB files in directories
// of 100 under a fresh root and returns the root.
func benchHostDir(b *testing.B, n int) string {
	b.Helper()
	root := b.TempDir()
	data := make([]byte, 2048)
	for i := range n {
		p := filepath.Join(root, "hosts", "h1", "files", fmt.Sprintf("d%02d", i/100), fmt.Sprintf("f%04d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		data[0], data[1] = byte(i), byte(i>>8)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

// BenchmarkResolve measures resolving and digesting a 2,000-file host
// directory: the work every source does once per new revision.
func BenchmarkResolve(b *testing.B) {
	root := benchHostDir(b, 2000)
	fsys := os.DirFS(root).(fs.ReadLinkFS)
	b.ResetTimer()
	for b.Loop() {
		tr, err := Resolve(fsys, "hosts/h1", Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if tr.Digest() == "" {
			b.Fatal("empty digest")
		}
	}
	b.ReportMetric(2000, "files/op")
}

// BenchmarkStageReused measures Stage of a tree already staged: the
// common case of a commit that left this host's directory unchanged.
func BenchmarkStageReused(b *testing.B) {
	root := benchHostDir(b, 2000)
	tr, err := Resolve(os.DirFS(root).(fs.ReadLinkFS), "hosts/h1", Limits{})
	if err != nil {
		b.Fatal(err)
	}
	stage := b.TempDir()
	if _, err := tr.Stage(stage); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := tr.Stage(stage); err != nil {
			b.Fatal(err)
		}
	}
}
