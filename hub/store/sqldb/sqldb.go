// Package sqldb implements store.Store over database/sql for the SQL
// dialects the hub supports. The backends (hub/store/sqlite,
// hub/store/postgres) open the connection and name their dialect; the
// queries are written once, with ? placeholders.
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Dialect is what differs between databases.
type Dialect struct {
	Name string
	// Dollar numbers placeholders ($1, $2) instead of ?.
	Dollar bool
	// Migrations are the schema, in order; a database that has applied
	// the first n runs the rest. Never edit one that has shipped.
	Migrations []string
}

// DB is a store.Store over db.
type DB struct {
	db *sql.DB
	d  Dialect
}

// Open migrates db to the dialect's newest schema and returns the store.
func Open(ctx context.Context, db *sql.DB, d Dialect) (*DB, error) {
	s := &DB{db: db, d: d}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// migrate applies the migrations the database has not seen, each in its
// own transaction with its version row.
func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("%s: schema_version: %w", s.d.Name, err)
	}
	var have int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&have); err != nil {
		return fmt.Errorf("%s: schema version: %w", s.d.Name, err)
	}
	if have > len(s.d.Migrations) {
		return fmt.Errorf("%s: database schema version %d is newer than this berth knows (%d)", s.d.Name, have, len(s.d.Migrations))
	}
	for v := have; v < len(s.d.Migrations); v++ {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			for _, stmt := range strings.Split(s.d.Migrations[v], ";\n") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_version (version) VALUES (?)`), v+1)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: migration %d: %w", s.d.Name, v+1, err)
		}
	}
	return nil
}

// tx runs f in a transaction, committing when it returns nil.
func (s *DB) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// q rewrites ? placeholders for the dialect.
func (s *DB) q(query string) string {
	if !s.d.Dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
