package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/store/conformance"
	"github.com/berth-nix/berth/internal/testserver"
)

// TestConformance runs the store suite against a real PostgreSQL server,
// one fresh database per test.
func TestConformance(t *testing.T) {
	pg := testserver.StartPostgres(t)
	admin, err := sql.Open("pgx", pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n atomic.Int32
	conformance.Run(t, func(t *testing.T) (store.Store, func() store.Store) {
		name := fmt.Sprintf("hub%d", n.Add(1))
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatal(err)
		}
		dsn := strings.Replace(pg.DSN, "dbname=postgres", "dbname="+name, 1)
		open := func() store.Store {
			s, err := Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := open()
		t.Cleanup(func() { s.Close() })
		return s, open
	})
}
