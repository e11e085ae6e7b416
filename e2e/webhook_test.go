package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/e2e/fixture"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const hookSecret = "webhook-shared-secret"

// TestWebhookPauseMetrics runs the agent as a service polling only every
// hour. A push to the fleet repository runs contrib/hooks/post-receive,
// whose signed webhook gets the new commit applied at once. A pause holds
// the next push until berth resume; the metrics endpoint reports it all.
func TestWebhookPauseMetrics(t *testing.T) {
	t.Parallel()
	hookPort, metricsPort := freePort(t), freePort(t)
	f := newFleetHost(t, alphaV1(), fmt.Sprintf(`webhook:
  enabled: true
  listen: 127.0.0.1:%d
  secret_file: /etc/berth/webhook-secret
  min_interval: 1s
metrics:
  enabled: true
  listen: 127.0.0.1:%d
`, hookPort, metricsPort))
	f.write("/etc/berth/webhook-secret", hookSecret+"\n", 0o600)
	f.h.InstallBerth(t, berthBinary(t), []byte(f.config()))
	f.waitFor("the first deploy at start", 2*time.Minute, func() bool { return f.status().State.Applied != nil })
	installHook(t, f, fmt.Sprintf("http://127.0.0.1:%d/webhook", hookPort))

	v2 := alphaV1()
	v2.Units["second.service"] = fixture.SleepService("second")
	c2 := f.push(v2, "alpha: add second")
	f.waitFor("the pushed commit applied through the webhook", time.Minute, func() bool { return f.appliedCommit() == c2 })
	if !f.active("second.service") {
		t.Errorf("second.service not active after the webhook deploy")
	}
	if got := f.lastTrigger(); got != "webhook" {
		t.Errorf("trigger of the attempt that applied %s: got %q, want webhook", c2, got)
	}
	if code := postUnsigned(t, hookPort); code != http.StatusUnauthorized {
		t.Errorf("unsigned webhook: got %v, want 401", code)
	}

	out, code := f.berth("pause", "--for", "1h")
	if code != 0 || !strings.Contains(out, "paused until") {
		t.Fatalf("berth pause: exit %d\n%s", code, out)
	}
	v3 := alphaV1()
	v3.Units["third.service"] = fixture.SleepService("third")
	c3 := f.push(v3, "alpha: add third")
	time.Sleep(8 * time.Second)
	if got := f.appliedCommit(); got != c2 {
		t.Fatalf("applied %s while paused, want %s still", got, c2)
	}
	if txt := f.statusText(); !strings.Contains(txt, "paused") || !strings.Contains(txt, "next poll") {
		t.Errorf("berth status does not show the pause and the next poll:\n%s", txt)
	}
	checkMetrics(t, metricsPort, map[string]float64{"berth_paused": 1})
	f.h.Run(t, "systemctl", "restart", "berth.service")
	time.Sleep(5 * time.Second)
	if got := f.appliedCommit(); got != c2 {
		t.Fatalf("applied %s after a restart while paused, want %s still", got, c2)
	}
	if out, code := f.berth("resume"); code != 0 {
		t.Fatalf("berth resume: exit %d\n%s", code, out)
	}
	f.waitFor("the held commit applied after resume", time.Minute, func() bool { return f.appliedCommit() == c3 })
	checkMetrics(t, metricsPort, map[string]float64{"berth_paused": 0, "berth_reconciles_total": 1})
}

// lastTrigger is what started the newest attempt in berth history.
func (f *fleetHost) lastTrigger() string {
	out, code := f.berth("history", "--json", "-n", "1")
	var atts []struct{ Trigger string }
	if code != 0 || json.Unmarshal([]byte(out), &atts) != nil || len(atts) == 0 {
		f.t.Fatalf("berth history --json: exit %d\n%s", code, out)
	}
	return atts[0].Trigger
}

func (f *fleetHost) appliedCommit() string {
	if a := f.status().State.Applied; a != nil {
		return a.Commit
	}
	return ""
}

// installHook makes the fleet's bare repository notify the agent on push.
func installHook(t *testing.T, f *fleetHost, url string) {
	bare := f.repo.BareDir()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(hookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hook, _ := filepath.Abs("../contrib/hooks/post-receive")
	for _, args := range [][]string{
		{"config", "--add", "berth.webhookUrl", url},
		{"config", "berth.webhookSecretFile", secret},
		{"config", "core.hooksPath", filepath.Dir(hook)},
	} {
		if out, err := exec.Command("git", append([]string{"-C", bare}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

func postUnsigned(t *testing.T, port int) int {
	resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/webhook", port), "application/json", strings.NewReader(`{"ref":"refs/heads/main"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// checkMetrics scrapes the agent and compares the sum of each family's
// series with want (a counter summed over its labels).
func checkMetrics(t *testing.T, port int, want map[string]float64) {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		if got := sum(fams[name]); got != w {
			t.Errorf("%s: got %v, want %v", name, got, w)
		}
	}
	if fams["berth_applied_info"] == nil {
		t.Error("berth_applied_info missing")
	}
}

func sum(f *dto.MetricFamily) float64 {
	var s float64
	if f == nil {
		return -1
	}
	for _, m := range f.Metric {
		s += m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	return s
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
