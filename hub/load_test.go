package hub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-nix/berth/hub/wire"
	"github.com/berth-nix/berth/internal/webhook"
)

// TestLoad runs the real berth binary's hub in its own process and
// simulates agents on loopback: each holds an event stream and reports on
// a compressed schedule. It measures the hub's memory per connected agent
// (resident set growth), its CPU while the agents report, and how long a
// webhook takes to reach every agent. BERTH_HUB_LOAD sets the number of
// agents (docs/performance.md uses 10000); the default keeps the test
// quick.
func TestLoad(t *testing.T) {
	// A quick run: 200 agents reporting every 2s for 4s. A full run: 5
	// minutes compressed 30 times, for three rounds.
	n, every, rounds := 200, 2*time.Second, 2
	if v := os.Getenv("BERTH_HUB_LOAD"); v != "" {
		n, _ = strconv.Atoi(v)
		every, rounds = 10*time.Second, 3
	}
	h := startHubProcess(t, n)
	base := h.rss(t)

	polls := make([]chan time.Time, n)
	var wg sync.WaitGroup
	var connected atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	for i := range n {
		polls[i] = make(chan time.Time, 16)
		wg.Go(func() { simulateStream(ctx, t, h.addr, i, polls[i], &connected) })
		if i%200 == 199 {
			time.Sleep(20 * time.Millisecond) // a fleet does not connect in one instant
		}
	}
	for connected.Load() < int32(n) {
		if time.Since(start) > 5*time.Minute {
			t.Fatalf("only %d of %d agents connected", connected.Load(), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d agents connected in %s", n, time.Since(start).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	perAgent := float64(h.rss(t)-base) / float64(n)

	cpu0, wall0 := h.cpu(t), time.Now()
	sent, failed := reportFor(ctx, h.addr, n, every, time.Duration(rounds)*every)
	cpu := (h.cpu(t) - cpu0).Seconds() / time.Since(wall0).Seconds()
	if failed > 0 {
		t.Errorf("%d of %d reports failed", failed, sent)
	}

	var lastAll, each []time.Duration
	for range 5 {
		sentAt := time.Now()
		postWebhook(t, h.addr)
		var last time.Duration
		for i := range n {
			select {
			case got := <-polls[i]:
				d := got.Sub(sentAt)
				each = append(each, d)
				last = max(last, d)
			case <-time.After(time.Minute):
				t.Fatalf("agent %d got no poll within a minute of the webhook", i)
			}
		}
		lastAll = append(lastAll, last)
	}
	t.Logf("agents %d; hub RSS %.1f MiB idle, %.1f KiB per connected agent; CPU %.0f%% of a core at %.0f reports/s (%d sent, %d failed); webhook to an agent p50 %s p99 %s; to the last agent p50 %s max %s",
		n, float64(base)/(1<<20), perAgent/1024, cpu*100, float64(sent)/(time.Duration(rounds)*every).Seconds(), sent, failed,
		pct(each, 50), pct(each, 99), pct(lastAll, 50), pct(lastAll, 100))
	cancel()
	wg.Wait()
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, (len(s)*p+99)/100-1)
	return s[max(i, 0)].Round(100 * time.Microsecond)
}

// hubProcess is `berth hub` running as a child process.
type hubProcess struct {
	addr string
	pid  int
}

func startHubProcess(t *testing.T, n int) *hubProcess {
	dir := t.TempDir()
	bin := filepath.Join(dir, "berth")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/berth").CombinedOutput(); err != nil {
		t.Fatalf("build berth: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "listen: %q\ndatabase:\n  sqlite: %s/hub.db\nwebhook:\n  secret_files: [%s/hook]\nhosts:\n", addr, dir, dir)
	os.WriteFile(filepath.Join(dir, "hook"), []byte(secret), 0o600)
	for i := range n {
		tok := filepath.Join(dir, "tok"+strconv.Itoa(i))
		os.WriteFile(tok, []byte(loadToken(i)), 0o600)
		fmt.Fprintf(&cfg, "  h%d:\n    token_file: %s\n", i, tok)
	}
	os.WriteFile(filepath.Join(dir, "hub.yaml"), []byte(cfg.String()), 0o600)
	cmd := exec.Command(bin, "hub", "--hub-config", filepath.Join(dir, "hub.yaml"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hub did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &hubProcess{addr: addr, pid: cmd.Process.Pid}
}

func loadToken(i int) string { return "load-token-" + strconv.Itoa(i) }

// rss is the process's resident set in bytes.
func (h *hubProcess) rss(t *testing.T) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// cpu is the process's user and system CPU time so far.
func (h *hubProcess) cpu(t *testing.T) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", h.pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// simulateStream holds agent i's event stream, as few bytes as an agent
// would, and sends the time of every poll to polls.
func simulateStream(ctx context.Context, t *testing.T, addr string, i int, polls chan<- time.Time, connected *atomic.Int32) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Errorf("agent %d: %v", i, err)
		return
	}
	defer c.Close()
	context.AfterFunc(ctx, func() { c.Close() })
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", wire.EventsPath, loadToken(i))
	r := bufio.NewReaderSize(c, 1024)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch strings.TrimSpace(line) {
		case "event: " + wire.EventHello:
			connected.Add(1)
		case "event: " + wire.EventPoll:
			polls <- time.Now()
		}
	}
}

// reportFor has every agent post a report once per interval, spread
// evenly, for d; it returns how many were sent and how many failed.
func reportFor(ctx context.Context, addr string, n int, every, d time.Duration) (sent, failed int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}, Timeout: 30 * time.Second}
	var mu sync.Mutex
	var wg sync.WaitGroup
	gap := every / time.Duration(n)
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end) && ctx.Err() == nil; i = (i + 1) % n {
		time.Sleep(gap)
		wg.Go(func() {
			rep := wire.Report{Version: wire.ReportVersion, Host: "h" + strconv.Itoa(i), At: time.Now(), Result: "unchanged",
				Applied: &wire.Revision{Revision: "main@sha1:" + strings.Repeat("a", 40), Digest: "sha256:x"}}
			raw, _ := json.Marshal(rep)
			body, _ := json.Marshal(wire.Upload{Report: raw})
			req, _ := http.NewRequest("POST", "http://"+addr+wire.ReportsPath, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+loadToken(i))
			resp, err := client.Do(req)
			ok := err == nil && resp.StatusCode == http.StatusNoContent
			if err == nil {
				resp.Body.Close()
			}
			mu.Lock()
			sent++
			if !ok {
				failed++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return sent, failed
}

func postWebhook(t *testing.T, addr string) {
	body := []byte(`{"ref":"refs/heads/main"}`)
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/webhook", bytes.NewReader(body))
	for k, v := range webhook.Sign([]byte(secret), body, time.Now()) {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook: %s", resp.Status)
	}
}
