package files

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"

	"github.com/berth-nix/berth/internal/atomicfile"
)

// manifestVersion changes when the manifest's meaning changes.
const manifestVersion = 1

// Manifest lists what berth installed and so owns: the only paths it
// overwrites or removes without a `replace` declaration. It records
// paths and kinds, never contents or their hashes.
type Manifest struct {
	Version int      `json:"version"`
	Entries []Record `json:"entries"`
}

// Record is one installed path.
type Record struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	// Created is set for directories berth made; only those are removed
	// again (when empty) once they leave the tree.
	Created bool `json:"created,omitempty"`
}

// index maps paths to records.
func (m Manifest) index() map[string]Record {
	idx := make(map[string]Record, len(m.Entries))
	for _, r := range m.Entries {
		idx[r.Path] = r
	}
	return idx
}

func (m *Manifest) sort() {
	sort.Slice(m.Entries, func(i, j int) bool { return m.Entries[i].Path < m.Entries[j].Path })
}

// loadManifest reads the manifest at p; a missing file is an empty one.
func loadManifest(p string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{Version: manifestVersion}, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("manifest %s is corrupt: %w", p, err)
	}
	if m.Version != manifestVersion {
		return m, fmt.Errorf("manifest %s has version %d, this berth understands %d", p, m.Version, manifestVersion)
	}
	return m, nil
}

// writeJSON replaces p atomically with v as indented JSON, mode 0600.
func writeJSON(p string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(p, append(data, '\n'), 0o600)
}
