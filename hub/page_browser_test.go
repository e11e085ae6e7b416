package hub

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/berth-nix/berth/hub/wire"
	"github.com/berth-nix/berth/internal/testenv"
)

// browser starts a headless Chromium (Debian's chromium) with a fresh
// profile; screenshots go to the test's temp directory.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		testenv.Missing(t, "chromium not installed (apt-get install chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// TestFleetPageInChromium signs in with a read key, reads the fleet as a
// person sees it, watches a new report appear without a reload, opens a
// host's page, and checks the page fits a phone's width.
func TestFleetPageInChromium(t *testing.T) {
	h := startHub(t, "laptop1", "laptop2")
	shots := t.TempDir()
	h.do(t, "POST", wire.ReportsPath, hostToken("laptop1"), upload(t, goodReport("laptop1", strings.Repeat("a", 40)), ""))
	ctx := browser(t)
	_, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(h.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=key]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=key]`), readKey),
		chromedp.Submit(chromedp.CSS(`input[name=key]`)),
		chromedp.WaitVisible(chromedp.CSS(`#host-laptop1`)),
	))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if got := text(t, ctx, `#host-laptop1 .state`); got != StateUpToDate {
		t.Errorf("laptop1 shows %q, want %s", got, StateUpToDate)
	}
	if got := text(t, ctx, `#host-laptop2 .state`); got != StateNoReport {
		t.Errorf("laptop2 shows %q, want %s", got, StateNoReport)
	}
	waitText(t, ctx, `#live`, "live")
	screenshot(t, ctx, shots, "fleet")

	// A report arrives: the row changes in place, the page is not reloaded.
	chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded = true`))
	rep := goodReport("laptop2", strings.Repeat("b", 40))
	rep.Result, rep.Error = "reverted", "units failed after the switch"
	rep.Attempt.Result, rep.Attempt.Phase, rep.Attempt.FailedUnits = "reverted", "test", []string{"nginx.service"}
	rep.Attempt.Digest = "sha256:other"
	h.do(t, "POST", wire.ReportsPath, hostToken("laptop2"), upload(t, rep, "activating the configuration...\nnginx.service failed\n"))
	waitText(t, ctx, `#host-laptop2 .state`, StateReverted)
	if marker, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !marker {
		t.Errorf("the page was reloaded to show the report (%v)", err)
	}
	if got := text(t, ctx, `#host-laptop2`); !strings.Contains(got, "nginx.service") || !strings.Contains(got, "test") {
		t.Errorf("laptop2's row lacks the failed phase and unit: %q", got)
	}
	screenshot(t, ctx, shots, "fleet-live")

	// The host page: history and log tail.
	if _, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(h.URL+"/hosts/laptop2"), chromedp.WaitVisible(chromedp.CSS(`#log`)))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, `#log`); !strings.Contains(got, "nginx.service failed") {
		t.Errorf("log tail shows %q", got)
	}
	if got := text(t, ctx, `h1`); !strings.Contains(got, "laptop2") || !strings.Contains(got, StateReverted) {
		t.Errorf("host page heading %q", got)
	}
	screenshot(t, ctx, shots, "host")

	// On a phone: nothing wider than the screen.
	_, err = chromedp.Run(ctx, chromedp.Steps(chromedp.EmulateViewport(390, 844), chromedp.Navigate(h.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#host-laptop2`))))
	if err != nil {
		t.Fatal(err)
	}
	fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if !fits {
		t.Errorf("the fleet page is wider than a 390px phone screen")
	}
	screenshot(t, ctx, shots, "fleet-phone")
}

// TestPageRefusesWrongKey: a wrong key gets the form again, and the
// refusal is audited.
func TestPageRefusesWrongKey(t *testing.T) {
	h := startHub(t)
	ctx := browser(t)
	_, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(h.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=key]`), "not-a-key"),
		chromedp.Submit(chromedp.CSS(`input[name=key]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.failed`))))
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, `p.failed`); got != "That key is not valid." {
		t.Errorf("got %q", got)
	}
	assertAudit(t, h, "auth.denied", "/login", "anonymous")
}

// waitText polls until the element's text is want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		got, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.AtLeast(0)))
		if strings.TrimSpace(got) == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s shows %q, want %q", sel, got, want)
}
