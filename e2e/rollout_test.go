package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/e2e/testhost"
	"github.com/berth-nix/berth/hub"
	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/rollout"
)

// rolloutSoak is the canary wave's soak in the e2e policy: long enough
// to see the next wave wait, short enough for the suite.
const rolloutSoak = 20 * time.Second

const e2ePolicy = `groups:
  canary: {hosts: [canary]}
  early: {hosts: [early1, early2]}
waves:
  - name: canary
    groups: [canary]
    soak: 20s
  - name: early
    groups: [early]
    after: [canary]
`

// rollouts returns the hub's rollouts, oldest first.
func (h *e2eHub) rollouts() []hub.RolloutView {
	var vs []hub.RolloutView
	h.get("/v1/rollouts", &vs)
	return vs
}

func (h *e2eHub) post(path string) {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+hubAdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("POST %s: %s", path, resp.Status)
	}
}

func (h *e2eHub) rolloutOf(commit string) hub.RolloutView {
	for _, v := range h.rollouts() {
		if v.Revision == commit {
			return v
		}
	}
	return hub.RolloutView{}
}

// TestHubStagedRollout: a hub with a rollout policy (canary, then two
// hosts after a 20s soak) and three test hosts. A good commit reaches the
// canary first and the other two only after the soak that follows the
// canary's good report. A commit that fails on the canary halts the
// rollout; the other two never apply it, and the hub, restarted, still
// has it halted; the page in Chromium shows the stages and the failing
// host. Resumed, the commit reaches the other two after a soak counted
// from the resume. A commit whose rollout is aborted stays on the canary
// alone.
func TestHubStagedRollout(t *testing.T) {
	testhost.Require(t)
	host := func(name, msg string, failing bool) fixture.Host {
		svc := fixture.SleepService(msg)
		if failing {
			svc = fixture.FailingService(msg)
		}
		return fixture.Host{Name: name, Units: map[string]string{name + ".service": svc}}
	}
	names := []string{"canary", "early1", "early2"}
	var v1 []fixture.Host
	for _, n := range names {
		v1 = append(v1, host(n, n+" v1", false))
	}
	repo := fixture.Fleet(t, v1...)
	repo.WriteFile(rollout.FileName, e2ePolicy)
	repo.Commit("rollout policy")
	repo.Push()
	git := testserver.StartGitHTTP(t, repo, fleetToken)
	h := startE2EHub(t, "sqlite", names...)
	h.Stop()
	p := filepath.Join(t.TempDir(), "rollout.yaml")
	if err := os.WriteFile(p, []byte(e2ePolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	h.Config.Rollout.PolicyFile, h.Config.Rollout.Interval = p, time.Second
	h.Start()
	// The first deploy is a rollout too: the canary's agent starts first,
	// the others once its soak has passed.
	canary := hubAgent(t, "canary", repo, git, h)
	early := []*fleetHost{hubAgent(t, "early1", repo, git, h), hubAgent(t, "early2", repo, git, h)}
	installHook(t, canary, h.URL+"/v1/webhook")
	page := testserver.Chromium(t)
	testserver.SignIn(t, page, h.URL, hubAdminKey, "#host-early2")
	shots := t.TempDir()

	push := func(version string, canaryFails bool) string {
		for _, n := range names {
			fixture.PutHost(t, repo, host(n, n+" "+version, n == "canary" && canaryFails))
		}
		c := repo.Commit("fleet " + version)
		repo.Push()
		return c
	}
	// stays checks for d that the early hosts do not apply c.
	stays := func(c, why string, d time.Duration) {
		t.Helper()
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(time.Second) {
			for _, f := range early {
				if f.appliedCommit() == c {
					t.Fatalf("%s: an early host applied %s", why, c)
				}
			}
		}
	}

	// A good commit: canary, soak, then the early wave.
	c2 := push("v2", false)
	canary.waitFor("the canary applies the good commit", 90*time.Second, func() bool { return canary.appliedCommit() == c2 })
	canaryDone := time.Now()
	stays(c2, "during the canary's soak", rolloutSoak/2)
	if st := early[0].statusText(); !strings.Contains(st, "waiting for its rollout wave") || !strings.Contains(st, "wave canary") {
		t.Errorf("status of a waiting early host does not say so:\n%s", st)
	}
	for _, f := range early {
		f.waitFor("the early wave applies the good commit", 90*time.Second, func() bool { return f.appliedCommit() == c2 })
	}
	if waited := time.Since(canaryDone); waited < rolloutSoak-2*time.Second {
		t.Errorf("the early wave applied %s after %s, before the canary's %s soak ended", c2, waited, rolloutSoak)
	}
	canary.waitFor("the rollout of the good commit done", 30*time.Second, func() bool { return h.rolloutOf(c2).State == rollout.StateDone })
	navigate(t, page, h.URL+"/rollouts")
	testserver.WaitText(t, page, "#rollout-"+c2, 10*time.Second, func(s string) bool {
		return strings.Contains(s, "done") && strings.Contains(s, "canary") && strings.Contains(s, "early")
	})
	testserver.Screenshot(t, page, shots, "rollout-done")

	// A commit that fails on the canary halts; the early wave never takes it.
	c3 := push("v3", true)
	canary.waitFor("the rollout halted by the canary's failure", 90*time.Second, func() bool { return h.rolloutOf(c3).State == rollout.StateHalted })
	v := h.rolloutOf(c3)
	if len(v.Failing) != 1 || v.Failing[0].Host != "canary" || !strings.Contains(v.Failing[0].Reason, "canary.service") {
		t.Errorf("halted rollout's failing hosts: got %+v, want canary with canary.service", v.Failing)
	}
	stays(c3, "after the halt", rolloutSoak+5*time.Second)
	if halts := h.audit("rollout.halted"); len(halts) != 1 || halts[0].Target != c3 {
		t.Errorf("audit of the halt: %+v", halts)
	}
	navigate(t, page, h.URL+"/rollouts")
	testserver.WaitText(t, page, "#rollout-"+c3, 10*time.Second, func(s string) bool {
		return strings.Contains(s, "halted") && strings.Contains(s, "canary: ") && strings.Contains(s, "canary.service")
	})
	testserver.Screenshot(t, page, shots, "rollout-halted")

	// The restarted hub has the same rollout, still halted.
	h.Stop()
	h.Start()
	if v := h.rolloutOf(c3); v.State != rollout.StateHalted || !v.Current {
		t.Fatalf("after the hub restarted: rollout of %s is %+v, want current and halted", c3, v)
	}
	stays(c3, "after the hub restarted", 5*time.Second)

	// Resumed: the early wave takes it after the soak, counted from the resume.
	resumed := time.Now()
	h.post("/v1/rollouts/current/resume")
	for _, f := range early {
		f.waitFor("the early wave applies the resumed commit", 2*time.Minute, func() bool { return f.appliedCommit() == c3 })
	}
	if waited := time.Since(resumed); waited < rolloutSoak-2*time.Second {
		t.Errorf("the early wave applied %s %s after the resume, before the soak ended", c3, waited)
	}
	if canary.appliedCommit() == c3 {
		t.Errorf("the canary runs the commit it reverted")
	}

	// Aborted: the early wave stays where it is.
	c4 := push("v4", false)
	canary.waitFor("the canary applies the next commit", 90*time.Second, func() bool { return canary.appliedCommit() == c4 })
	h.post("/v1/rollouts/" + c4[:12] + "/abort")
	stays(c4, "after the abort", rolloutSoak+5*time.Second)
	for _, f := range early {
		if got := f.appliedCommit(); got != c3 {
			t.Errorf("after the abort an early host runs %s, want %s", got, c3)
		}
	}
	if v := h.rolloutOf(c4); v.State != rollout.StateAborted {
		t.Errorf("rollout of %s: %s, want aborted", c4, v.State)
	}
	navigate(t, page, h.URL+"/rollouts")
	testserver.WaitText(t, page, "#rollout-"+c4, 10*time.Second, func(s string) bool { return strings.Contains(s, "aborted") })
	testserver.Screenshot(t, page, shots, "rollout-aborted")
}

func navigate(t *testing.T, page context.Context, url string) {
	t.Helper()
	if _, err := chromedp.Run(page, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
}
