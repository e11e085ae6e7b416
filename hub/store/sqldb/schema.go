package sqldb

import "strings"

// Schema is the hub's first schema migration, written once for every
// dialect: id is the type of an auto-increment primary key, and int the
// type of a 64-bit integer (times are Unix nanoseconds).
func Schema(id, int64Type string) string {
	return strings.NewReplacer("{id}", id, "{int}", int64Type).Replace(`
CREATE TABLE reports (
	id {id},
	host TEXT NOT NULL,
	received {int} NOT NULL,
	body TEXT NOT NULL,
	log_tail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reports_host ON reports (host, id);
CREATE TABLE hosts (name TEXT PRIMARY KEY, report_id {int} NOT NULL);
CREATE TABLE api_keys (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created {int} NOT NULL);
CREATE TABLE facts (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE audit (
	id {id},
	at {int} NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at)`)
}
