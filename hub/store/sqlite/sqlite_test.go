package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/store/conformance"
)

func open(t *testing.T, path string) store.Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T) (store.Store, func() store.Store) {
		path := filepath.Join(t.TempDir(), "hub.db")
		s := open(t, path)
		t.Cleanup(func() { s.Close() })
		return s, func() store.Store { return open(t, path) }
	})
}

// TestWAL checks that the file is in WAL mode, so readers do not wait
// for writers.
func TestWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path)
	defer s.Close()
	if err := s.Record(context.Background(), store.Entry{Actor: "test", Action: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log beside the database: %v", err)
	}
}

func TestOpenErrorNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "hub.db")
	_, err := Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("got %v, want an error naming %s", err, path)
	}
}

// TestNewerSchemaRefused: a database migrated by a newer berth is not
// opened by an older one.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	open(t, path).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_version (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "schema version 99 is newer") {
		t.Errorf("got %v, want a refusal of schema version 99", err)
	}
}
