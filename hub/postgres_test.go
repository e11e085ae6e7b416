package hub

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/store/postgres"
	"github.com/berth-nix/berth/internal/testserver"
)

// TestServerOnPostgres runs the server's tests again with the store on a
// real PostgreSQL server, one fresh database per test.
func TestServerOnPostgres(t *testing.T) {
	pg := testserver.StartPostgres(t)
	admin, err := sql.Open("pgx", pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	n := 0
	sqliteStore := openStore
	t.Cleanup(func() { openStore = sqliteStore })
	openStore = func(t *testing.T, _ string) store.Store {
		n++
		name := fmt.Sprintf("hubtest%d", n)
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatal(err)
		}
		st, err := postgres.Open(context.Background(), strings.Replace(pg.DSN, "dbname=postgres", "dbname="+name, 1))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	for name, test := range map[string]func(*testing.T){
		"ReportStoredAndShown":       TestReportStoredAndShown,
		"ReportForAnotherHost":       TestReportForAnotherHostRefused,
		"Authorization":              TestAuthorization,
		"TriggerReachesStream":       TestTriggerReachesStream,
		"WebhookNotifiesChangedDirs": TestWebhookNotifiesHostsWhoseDirectoryChanged,
		"WebhookWrongSecret":         TestWebhookWrongSecret,
		"KeysLifecycle":              TestKeysLifecycle,
		"Metrics":                    TestMetrics,
		"FleetPageInChromium":        TestFleetPageInChromium,
	} {
		t.Run(name, test)
	}
}
