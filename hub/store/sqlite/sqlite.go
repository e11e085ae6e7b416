// Package sqlite is the hub's embedded store: one SQLite file, written
// through modernc.org/sqlite (pure Go, so the binary stays static), in
// WAL mode so that the page reads while agents report.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"github.com/berth-nix/berth/hub/store/sqldb"
	_ "modernc.org/sqlite"
)

var dialect = sqldb.Dialect{Name: "sqlite", Migrations: []string{
	sqldb.Schema("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"),
	sqldb.RolloutSchema("INTEGER"),
}}

// Open opens (creating it when missing) the database file at path and
// migrates it. Writers wait for each other up to five seconds; every
// transaction takes the write lock at its start, so two writers never
// deadlock upgrading a read lock.
func Open(ctx context.Context, path string) (*sqldb.DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_txlock=immediate&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return sqldb.Open(ctx, db, dialect)
}
