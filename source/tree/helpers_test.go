package tree

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// layout describes a repository in a test: paths map to file content, or
// to "->target" for a symbolic link, "/" for an empty directory, "x:"
// followed by content for an executable file and "fifo" for a named pipe.
type layout map[string]string

// write creates l under a new temporary directory and returns it.
func write(t testing.TB, l layout) string {
	t.Helper()
	root := t.TempDir()
	for p, spec := range l {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := create(full, spec); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func create(full, spec string) error {
	switch {
	case strings.HasPrefix(spec, "->"):
		return os.Symlink(spec[2:], full)
	case spec == "/":
		return os.MkdirAll(full, 0o755)
	case spec == "fifo":
		return syscall.Mkfifo(full, 0o644)
	case strings.HasPrefix(spec, "x:"):
		return os.WriteFile(full, []byte(spec[2:]), 0o755)
	}
	return os.WriteFile(full, []byte(spec), 0o644)
}

// lines renders a tree's entries as their digest lines, without hashes,
// for compact comparisons.
func lines(tr *Tree) string {
	var b strings.Builder
	for _, e := range tr.Entries {
		l := e.Line()
		if i := strings.LastIndexByte(l[:len(l)-1], ' '); i > 0 {
			l = l[:i] + "\n"
		}
		b.WriteString(l)
	}
	return b.String()
}

func dirFS(dir string) fs.ReadLinkFS { return os.DirFS(dir).(fs.ReadLinkFS) }

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
