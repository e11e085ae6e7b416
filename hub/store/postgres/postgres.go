// Package postgres is the hub's store on a PostgreSQL server, for hubs
// that run on more than one machine; it is driven by jackc/pgx.
package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/berth-nix/berth/hub/store/sqldb"
	_ "github.com/jackc/pgx/v5/stdlib"
)

var dialect = sqldb.Dialect{Name: "postgres", Dollar: true, Migrations: []string{`
CREATE TABLE reports (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	host TEXT NOT NULL,
	received BIGINT NOT NULL,
	body TEXT NOT NULL,
	log_tail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reports_host ON reports (host, id);
CREATE TABLE hosts (name TEXT PRIMARY KEY, report_id BIGINT NOT NULL);
CREATE TABLE api_keys (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created BIGINT NOT NULL);
CREATE TABLE facts (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE audit (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at BIGINT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at)`}}

// Open connects to the server named by dsn (a postgres:// URL or
// key=value string; libpq's environment variables and PGPASSFILE apply)
// and migrates its schema. Two hubs starting at once are serialized by
// an advisory lock around the migration.
func Open(ctx context.Context, dsn string) (*sqldb.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close()
	const lockID = 0x62657274 // "bert"
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, lockID)
	return sqldb.Open(ctx, db, dialect)
}
