package reconciler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-nix/berth/internal/atomicfile"
)

// Anchor is a second copy of the last applied revision, in its own file
// beside the state file (state_dir/lineage). The state file can be lost,
// or set aside when it no longer parses; the anchor keeps the ancestor
// rule in force across that. It is only ever moved to a newer applied
// revision, never cleared by a state that has none.
type Anchor struct{ Path string }

// Anchor is the lineage anchor kept beside the state file.
func (s Store) Anchor() Anchor {
	return Anchor{Path: filepath.Join(filepath.Dir(s.Path), "lineage")}
}

// Load returns the anchored revision, or nil when there is none. A file
// that does not parse is an error naming it.
func (a Anchor) Load() (*Revision, error) {
	data, err := os.ReadFile(a.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lineage anchor: %w", err)
	}
	var rev Revision
	if err := json.Unmarshal(data, &rev); err != nil {
		return nil, fmt.Errorf("lineage anchor %s is corrupt: %w", a.Path, err)
	}
	return &rev, nil
}

// Keep records applied as the anchor when it is a commit the anchor does
// not hold yet; nil and commit-less revisions leave the anchor alone.
func (a Anchor) Keep(applied *Revision) error {
	if applied == nil || applied.Commit == "" {
		return nil
	}
	data, err := json.MarshalIndent(applied, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if old, err := os.ReadFile(a.Path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return atomicfile.WriteFile(a.Path, data, 0o600)
}
