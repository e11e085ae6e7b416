package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/berth-nix/berth/hub/store"
)

// RolloutSchema is the migration that adds staged rollouts; int64Type is
// the dialect's 64-bit integer (times are Unix nanoseconds).
func RolloutSchema(int64Type string) string {
	return strings.ReplaceAll(`
CREATE TABLE rollouts (
	revision TEXT PRIMARY KEY,
	started {int} NOT NULL,
	state TEXT NOT NULL,
	updated {int} NOT NULL
);
CREATE INDEX rollouts_started ON rollouts (started);
CREATE TABLE rollout_actions (
	revision TEXT NOT NULL REFERENCES rollouts (revision),
	kind TEXT NOT NULL,
	actor TEXT NOT NULL,
	at {int} NOT NULL
);
CREATE INDEX rollout_actions_revision ON rollout_actions (revision, at);
CREATE INDEX reports_received ON reports (received)`, "{int}", int64Type)
}

func (s *DB) StartRollout(ctx context.Context, r store.Rollout, e store.Entry) (bool, error) {
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO rollouts (revision, started, state, updated) VALUES (?, ?, ?, ?)
			ON CONFLICT (revision) DO NOTHING`), r.Revision, r.Started.UnixNano(), r.State, r.Started.UnixNano())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		created = true
		return s.record(ctx, tx, e)
	})
	return created, err
}

func (s *DB) Rollouts(ctx context.Context, limit int) ([]store.Rollout, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT revision, started, state, updated FROM rollouts ORDER BY started DESC, revision DESC LIMIT ?`), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Rollout
	for rows.Next() {
		var r store.Rollout
		var started, updated int64
		if err := rows.Scan(&r.Revision, &started, &r.State, &updated); err != nil {
			return nil, err
		}
		r.Started, r.Updated = time.Unix(0, started), time.Unix(0, updated)
		out = append([]store.Rollout{r}, out...)
	}
	return out, rows.Err()
}

func (s *DB) SetRolloutState(ctx context.Context, revision, state string, at time.Time, e store.Entry) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE rollouts SET state = ?, updated = ? WHERE revision = ?`), state, at.UnixNano(), revision)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("rollout of %s: %w", revision, store.ErrNotFound)
		}
		return s.record(ctx, tx, e)
	})
}

func (s *DB) AddRolloutAction(ctx context.Context, a store.RolloutAction, e store.Entry) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM rollouts WHERE revision = ?`), a.Revision).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("rollout of %s: %w", a.Revision, store.ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO rollout_actions (revision, kind, actor, at) VALUES (?, ?, ?, ?)`),
			a.Revision, a.Kind, a.Actor, a.At.UnixNano())
		if err != nil {
			return err
		}
		return s.record(ctx, tx, e)
	})
}

func (s *DB) RolloutActions(ctx context.Context, revision string) ([]store.RolloutAction, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT revision, kind, actor, at FROM rollout_actions WHERE revision = ? ORDER BY at`), revision)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.RolloutAction
	for rows.Next() {
		var a store.RolloutAction
		var at int64
		if err := rows.Scan(&a.Revision, &a.Kind, &a.Actor, &at); err != nil {
			return nil, err
		}
		a.At = time.Unix(0, at)
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *DB) ReportsSince(ctx context.Context, since time.Time) ([]store.Report, error) {
	return s.reports(ctx, `SELECT `+reportCols+` FROM reports r WHERE r.received >= ? ORDER BY r.id`, since.UnixNano())
}
