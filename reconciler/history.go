package reconciler

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/berth-nix/berth/internal/atomicfile"
	"github.com/berth-nix/berth/report"
)

// Attempt is one reconcile that got as far as a new configuration.
type Attempt = report.Attempt

// History keeps the last Keep attempts as one JSON file each, with the
// attempt's log beside it.
type History struct {
	Dir  string
	Keep int
}

// LogPath is where attempt id writes its log.
func (h History) LogPath(id string) string { return filepath.Join(h.Dir, id+".log") }

// Add records a finished attempt and prunes the oldest beyond Keep.
func (h History) Add(a Attempt) error {
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteJSON(filepath.Join(h.Dir, a.ID+".json"), a); err != nil {
		return err
	}
	return h.prune()
}

// List returns the recorded attempts, newest first. A record that does not
// parse is skipped, not fatal: one bad file must not hide the others.
func (h History) List() ([]Attempt, error) {
	ids, err := h.ids()
	if err != nil {
		return nil, err
	}
	var out []Attempt
	for i := len(ids) - 1; i >= 0; i-- {
		data, err := os.ReadFile(filepath.Join(h.Dir, ids[i]+".json"))
		if err != nil {
			continue
		}
		var a Attempt
		if json.Unmarshal(data, &a) == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// ids lists attempt ids oldest first; ids sort by their start time.
func (h History) ids() ([]string, error) {
	ents, err := os.ReadDir(h.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && !strings.HasPrefix(id, ".") {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

func (h History) prune() error {
	ids, err := h.ids()
	if err != nil || len(ids) <= h.Keep {
		return err
	}
	for _, id := range ids[:len(ids)-h.Keep] {
		os.Remove(filepath.Join(h.Dir, id+".json"))
		os.Remove(h.LogPath(id))
	}
	return nil
}

// newID names an attempt by its start time, so ids sort chronologically;
// then a per-process sequence number, so that one process's ids within a
// second keep their order; then random bits, so that two processes (the
// agent and `berth run`) starting attempts in the same second do not share
// an id. The result is valid inside a systemd unit name.
func newID(now time.Time, seq int) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return fmt.Sprintf("%s-%03d-%s", now.UTC().Format("20060102T150405Z"), seq%1000, hex.EncodeToString(b[:]))
}

// CreateLog creates the log of attempt id, failing with fs.ErrExist when
// the id is already taken: the exclusive create is what makes an id the
// attempt's own, whatever process chose it.
func (h History) CreateLog(id string) (*os.File, error) {
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(h.LogPath(id), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
}
