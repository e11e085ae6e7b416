package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/e2e/testhost"
	"github.com/berth-nix/berth/hub"
	"github.com/berth-nix/berth/hub/hubtest"
	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/internal/testserver"
)

// e2eHub is a berth hub on loopback, which the test can stop and start
// again at the same address.
type e2eHub struct {
	*hubtest.Hub
	t *testing.T
}

const hubAdminKey = "hub-admin-key"

// startE2EHub starts a hub on the store named db: "sqlite" (a file) or
// "postgres" (a throwaway PostgreSQL cluster).
func startE2EHub(t *testing.T, db string, hosts ...string) *e2eHub {
	dir := t.TempDir()
	cfg := hub.DefaultConfig()
	if db == "postgres" {
		cfg.Database.PostgresFile = hubtest.Secret(t, dir, "dsn", testserver.StartPostgres(t).DSN)
	} else {
		cfg.Database.SQLite = filepath.Join(dir, "hub.db")
	}
	cfg.Keys = []hub.KeyFile{{Name: "admin", Role: store.RoleAdmin, KeyFile: hubtest.Secret(t, dir, "admin", hubAdminKey)}}
	cfg.Hosts = map[string]hub.HostToken{}
	for _, h := range hosts {
		cfg.Hosts[h] = hub.HostToken{TokenFile: hubtest.Secret(t, dir, "token-"+h, hubToken(h))}
	}
	cfg.Webhook.SecretFiles = []string{hubtest.Secret(t, dir, "webhook", hookSecret)}
	return &e2eHub{Hub: hubtest.Start(t, cfg), t: t}
}

func hubToken(host string) string { return "hub-token-of-" + host }

// get decodes a JSON answer of the hub's API, as the admin.
func (h *e2eHub) get(path string, out any) {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+hubAdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		h.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		h.t.Fatal(err)
	}
}

func (h *e2eHub) hosts() map[string]hub.HostView {
	var res struct{ Hosts []hub.HostView }
	h.get("/v1/hosts", &res)
	out := map[string]hub.HostView{}
	for _, v := range res.Hosts {
		out[v.Name] = v
	}
	return out
}

func (h *e2eHub) audit(action string) []store.Entry {
	var res struct{ Entries []store.Entry }
	h.get("/v1/audit?action="+action, &res)
	return res.Entries
}

// hubAgent boots a test host named name, installed on its base system,
// whose agent follows the fleet on git and the hub; it opens no port.
func hubAgent(t *testing.T, name string, repo *testserver.Repo, git *testserver.GitHTTP, h *e2eHub) *fleetHost {
	f := &fleetHost{t: t, repo: repo, git: git}
	f.h = testhost.Boot(t)
	f.base = fixture.InstallBaseOn(t, f.h, fixture.Host{Name: name, Units: map[string]string{"base.service": fixture.SleepService("base")}})
	f.write("/etc/berth/token", fleetToken+"\n", 0o600)
	f.write("/etc/berth/hub-token", hubToken(name)+"\n", 0o600)
	f.startAgent(fmt.Sprintf(`hostname: %s
source:
  git:
    url: %s
    token_file: /etc/berth/token
hub:
  url: %s
  token_file: /etc/berth/hub-token
%s`, name, git.URL(), h.URL, agentSettings))
	return f
}

// TestHubWebhookTwoHosts: two test hosts whose agents poll hourly and
// open no port hold event streams to the hub. A push runs the forge hook
// against the hub, and both hosts pull and apply within seconds; their
// reports reach the hub and appear on its page in Chromium without a
// reload; the audit log shows the delivery and the
// reports; a wrong key is refused and audited. The hub restarts, the
// agents reconnect by themselves, and the next push reaches them too.
// The same scenario runs with the hub's store on SQLite and on
// PostgreSQL.
func TestHubWebhookTwoHosts(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) { hubWebhookTwoHosts(t, db) })
	}
}

func hubWebhookTwoHosts(t *testing.T, db string) {
	testhost.Require(t)
	beta := func(msg string) fixture.Host {
		return fixture.Host{Name: "beta", Units: map[string]string{"beta.service": fixture.SleepService(msg)}}
	}
	repo := fixture.Fleet(t, alphaV1(), beta("beta v1"))
	git := testserver.StartGitHTTP(t, repo, fleetToken)
	h := startE2EHub(t, db, "alpha", "beta")
	alpha, betaHost := hubAgent(t, "alpha", repo, git, h), hubAgent(t, "beta", repo, git, h)
	connected := func() bool {
		hs := h.hosts()
		return hs["alpha"].Connected && hs["beta"].Connected
	}
	alpha.waitFor("both agents connected to the hub", time.Minute, connected)
	installHook(t, alpha, h.URL+"/v1/webhook")
	page := testserver.Chromium(t)
	testserver.SignIn(t, page, h.URL, hubAdminKey, "#host-beta")
	if _, err := chromedp.Run(page, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}

	pushBoth := func(version string) string {
		v := alphaV1()
		v.Units["hello.service"] = fixture.SleepService("hello " + version)
		fixture.PutHost(t, repo, v)
		fixture.PutHost(t, repo, beta("beta "+version))
		c := repo.Commit("alpha and beta " + version)
		start := time.Now()
		repo.Push()
		for _, f := range []*fleetHost{alpha, betaHost} {
			f.waitFor("the pushed commit applied through the hub", 90*time.Second, func() bool { return f.appliedCommit() == c })
			if got := f.lastTrigger(); got != "hub" {
				t.Errorf("trigger of the attempt that applied %s: got %q, want hub", c, got)
			}
		}
		t.Logf("push %s to both hosts applied: %s", version, time.Since(start).Round(time.Millisecond))
		return c
	}
	c2 := pushBoth("v2")
	alpha.waitFor("both reports of the apply at the hub", 30*time.Second, func() bool {
		hs := h.hosts()
		return hs["alpha"].Applied == c2 && hs["beta"].Applied == c2 && hs["alpha"].State == hub.StateUpToDate && hs["beta"].State == hub.StateUpToDate
	})
	shots := t.TempDir()
	for _, host := range []string{"alpha", "beta"} {
		testserver.WaitText(t, page, "#host-"+host, 30*time.Second, func(row string) bool {
			return strings.Contains(row, c2[:12]) && strings.Contains(row, hub.StateUpToDate)
		})
	}
	if same, err := chromedp.Run(page, chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !same {
		t.Errorf("the page reloaded to show the reports (%v)", err)
	}
	testserver.Screenshot(t, page, shots, "fleet-after-push")
	if hooks := h.audit("webhook"); len(hooks) == 0 || !strings.Contains(hooks[0].Detail, c2[:12]) {
		t.Errorf("audit has no webhook delivery for %s: %+v", c2, hooks)
	}
	reports := h.audit("report")
	var applies int
	for _, e := range reports {
		if strings.Contains(e.Detail, "applied") && strings.Contains(e.Detail, c2) {
			applies++
		}
	}
	if applies < 2 {
		t.Errorf("audit shows %d reports of applying %s, want both hosts'", applies, c2)
	}
	req, _ := http.NewRequest("GET", h.URL+"/v1/hosts", nil)
	req.Header.Set("Authorization", "Bearer wrong-key")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong key: got %v %v, want 401", resp, err)
	}
	if denied := h.audit("auth.denied"); len(denied) == 0 {
		t.Errorf("the wrong key left no audit entry")
	}

	h.Stop()
	restarted := time.Now()
	h.Start()
	// Each agent polls once on reconnecting, for what it may have missed,
	// and reports; the next push comes after those polls.
	alpha.waitFor("both agents reconnected and polled after the hub restart", 2*time.Minute, func() bool {
		hs := h.hosts()
		return connected() && hs["alpha"].LastSeen.After(restarted) && hs["beta"].LastSeen.After(restarted)
	})
	if hooks := h.audit("webhook"); len(hooks) == 0 || !strings.Contains(hooks[0].Detail, c2[:12]) {
		t.Errorf("after the restart the audit log lost the delivery of %s: %+v", c2, hooks)
	}
	pushBoth("v3")
}
