package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/berth-nix/berth/hub/store"
)

var _ store.Store = (*DB)(nil)

// record appends e inside tx.
func (s *DB) record(ctx context.Context, tx *sql.Tx, e store.Entry) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`),
		e.At.UnixNano(), e.Actor, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func (s *DB) Record(ctx context.Context, e store.Entry) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.record(ctx, tx, e) })
}

func (s *DB) AddReport(ctx context.Context, r store.Report, e store.Entry) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO reports (host, received, body, log_tail) VALUES (?, ?, ?, ?) RETURNING id`),
			r.Host, r.Received.UnixNano(), string(r.Raw), r.LogTail).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO hosts (name, report_id) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET report_id = excluded.report_id`), r.Host, id)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, e)
	})
	return id, err
}

const reportCols = `r.id, r.host, r.received, r.body, r.log_tail`

func (s *DB) Latest(ctx context.Context) ([]store.Report, error) {
	return s.reports(ctx, `SELECT `+reportCols+` FROM hosts h JOIN reports r ON r.id = h.report_id ORDER BY h.name`)
}

func (s *DB) Hosts(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM hosts ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (s *DB) History(ctx context.Context, host string, limit int) ([]store.Report, error) {
	return s.reports(ctx, `SELECT `+reportCols+` FROM reports r WHERE r.host = ? ORDER BY r.id DESC LIMIT ?`, host, limit)
}

func (s *DB) reports(ctx context.Context, query string, args ...any) ([]store.Report, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Report
	for rows.Next() {
		var r store.Report
		var received int64
		var body string
		if err := rows.Scan(&r.ID, &r.Host, &received, &body, &r.LogTail); err != nil {
			return nil, err
		}
		r.Received, r.Raw = time.Unix(0, received), []byte(body)
		if err := json.Unmarshal(r.Raw, &r.Report); err != nil {
			return nil, fmt.Errorf("stored report %d of %s: %w", r.ID, r.Host, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *DB) PutKey(ctx context.Context, k store.Key, e store.Entry) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM api_keys WHERE name = ?`), k.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("key %q exists already", k.Name)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO api_keys (name, role, hash, created) VALUES (?, ?, ?, ?)`),
			k.Name, k.Role, k.Hash, k.Created.UnixNano())
		if err != nil {
			return err
		}
		return s.record(ctx, tx, e)
	})
}

func (s *DB) DeleteKey(ctx context.Context, name string, e store.Entry) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM api_keys WHERE name = ?`), name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("key %q: %w", name, store.ErrNotFound)
		}
		return s.record(ctx, tx, e)
	})
}

func (s *DB) Keys(ctx context.Context) ([]store.Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, role, hash, created FROM api_keys ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Key
	for rows.Next() {
		var k store.Key
		var created int64
		if err := rows.Scan(&k.Name, &k.Role, &k.Hash, &created); err != nil {
			return nil, err
		}
		k.Created = time.Unix(0, created)
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *DB) SetFact(ctx context.Context, name, value string, e store.Entry) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO facts (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, value)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, e)
	})
}

func (s *DB) Fact(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM facts WHERE name = ?`), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func (s *DB) Audit(ctx context.Context, q store.Query) ([]store.Entry, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, at, actor, action, target, detail FROM audit
		WHERE at >= ? AND (? = '' OR action = ?) AND (? = '' OR target = ?) ORDER BY id DESC LIMIT ?`),
		q.Since.UnixNano(), q.Action, q.Action, q.Target, q.Target, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Entry
	for rows.Next() {
		var e store.Entry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, err
		}
		e.At = time.Unix(0, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *DB) Prune(ctx context.Context, before time.Time, e store.Entry) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM audit WHERE at < ?`), before.UnixNano())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM reports WHERE received < ? AND id NOT IN (SELECT report_id FROM hosts)`), before.UnixNano())
		if err != nil {
			return err
		}
		if e.Detail == "" {
			e.Detail = fmt.Sprintf("%d audit entries older than %s", n, before.UTC().Format(time.RFC3339))
		}
		return s.record(ctx, tx, e)
	})
	return n, err
}
