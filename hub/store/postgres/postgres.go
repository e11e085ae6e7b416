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

var dialect = sqldb.Dialect{Name: "postgres", Dollar: true, Migrations: []string{
	sqldb.Schema("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BIGINT"),
	sqldb.RolloutSchema("BIGINT"),
}}

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
