package manifest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/berth-nix/berth/source/tree"
)

// MaxSize bounds a manifest file: about 150 bytes per entry at
// tree.DefaultMaxFiles entries, with room to spare.
const MaxSize = 64 << 20

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Encode renders m as indented JSON ending in a newline.
func (m *Manifest) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Parse decodes and checks a manifest. Unknown fields are refused, and so
// is anything a consistent publish cannot produce: another version, paths
// that are not clean relative slash paths or that repeat, entries out of
// order or whose parent directory is not listed, bad modes, sizes or
// hashes, a tree over lim, and a Digest that is not the digest of Files.
// Errors name the offending field or path.
func Parse(data []byte, lim tree.Limits) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("manifest: data after the JSON object")
	}
	if err := m.check(lim); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return &m, nil
}

func (m *Manifest) check(lim tree.Limits) error {
	if m.Version != Version {
		return fmt.Errorf("version: got %d, want %d", m.Version, Version)
	}
	if m.Host == "" {
		return fmt.Errorf("host: missing")
	}
	if m.Refused != nil {
		if m.Digest != "" || len(m.Files) > 0 {
			return fmt.Errorf("refused: a refusal carries no digest and no files")
		}
		return nil
	}
	if !digestRE.MatchString(m.Digest) {
		return fmt.Errorf("digest: got %q, want sha256:<64 lowercase hex digits>", m.Digest)
	}
	if err := checkFiles(m.Files, lim); err != nil {
		return err
	}
	if got := (&tree.Tree{Entries: m.Entries()}).Digest(); got != m.Digest {
		return fmt.Errorf("digest: files add up to %s, the manifest says %s", got, m.Digest)
	}
	return nil
}

// checkFiles checks every entry and the order and completeness of the list.
func checkFiles(files []File, lim tree.Limits) error {
	lim = withDefaults(lim)
	if len(files) > lim.MaxFiles {
		return fmt.Errorf("files: %d entries, more than %d", len(files), lim.MaxFiles)
	}
	dirs := map[string]bool{".": true}
	var total int64
	for i, f := range files {
		if err := checkFile(f, lim); err != nil {
			return fmt.Errorf("files[%d] %q: %w", i, f.Path, err)
		}
		if i > 0 && files[i-1].Path >= f.Path {
			return fmt.Errorf("files[%d] %q: not after %q: entries must be sorted and unique", i, f.Path, files[i-1].Path)
		}
		if !dirs[path.Dir(f.Path)] {
			return fmt.Errorf("files[%d] %q: its directory is not listed before it", i, f.Path)
		}
		if f.Mode == ModeDir {
			dirs[f.Path] = true
		}
		if total += f.Size; total > lim.MaxBytes {
			return fmt.Errorf("files: more than %d bytes in total", lim.MaxBytes)
		}
	}
	return nil
}

func checkFile(f File, lim tree.Limits) error {
	p := f.Path
	if !fs.ValidPath(p) || p == "." || !utf8.ValidString(p) || strings.ContainsAny(p, "\n\\") {
		return fmt.Errorf("path: want a clean relative slash path")
	}
	if strings.Count(p, "/")+1 > lim.MaxDepth {
		return fmt.Errorf("path: deeper than %d levels", lim.MaxDepth)
	}
	if p == "files" && f.Mode != ModeDir {
		return fmt.Errorf("mode: the top-level files must be a directory")
	}
	mode, ok := fileMode(f.Mode)
	switch {
	case !ok:
		return fmt.Errorf("mode: got %q, want %s, %s, %s or %s", f.Mode, ModeDir, ModeFile, ModeExec, ModeLink)
	case f.Mode == ModeLink && !strings.HasPrefix(p, "files/"):
		return fmt.Errorf("mode: links are kept only below files/")
	case mode.IsDir() && (f.Size != 0 || f.SHA256 != ""):
		return fmt.Errorf("a directory has size 0 and no sha256")
	case mode.IsDir():
		return nil
	case f.Size < 0:
		return fmt.Errorf("size: negative")
	}
	if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != 32 || strings.ToLower(f.SHA256) != f.SHA256 {
		return fmt.Errorf("sha256: got %q, want 64 lowercase hex digits", f.SHA256)
	}
	return nil
}

func withDefaults(l tree.Limits) tree.Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = tree.DefaultMaxFiles
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = tree.DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = tree.DefaultMaxDepth
	}
	return l
}
