package hub

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/berth-nix/berth/hub/wire"
	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/nixos"
)

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
	ctx := testserver.Chromium(t)
	testserver.SignIn(t, ctx, h.URL, readKey, `#host-laptop1`)
	if got := text(t, ctx, `#host-laptop1 .state`); got != StateUpToDate {
		t.Errorf("laptop1 shows %q, want %s", got, StateUpToDate)
	}
	if got := text(t, ctx, `#host-laptop2 .state`); got != StateNoReport {
		t.Errorf("laptop2 shows %q, want %s", got, StateNoReport)
	}
	waitText(t, ctx, `#live`, "live")
	testserver.Screenshot(t, ctx, shots, "fleet")

	// A report arrives: the row changes in place, the page is not reloaded.
	chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded = true`))
	rep := goodReport("laptop2", strings.Repeat("b", 40))
	rep.Result, rep.Error = "reverted", "units failed after the switch"
	rep.Attempt.Result, rep.Attempt.Phase, rep.Attempt.FailedUnits = "reverted", "test", []string{"nginx.service"}
	rep.Attempt.Digest = "sha256:other"
	rep.Attempt.Diff = &nixos.ClosureDiff{Before: "/nix/store/aaa-nixos-system-laptop2", After: "/nix/store/bbb-nixos-system-laptop2",
		Packages: []nixos.PackageChange{{Name: "nginx", Kind: nixos.PackageAdded, After: "1.25.3"}}}
	h.do(t, "POST", wire.ReportsPath, hostToken("laptop2"), upload(t, rep, "activating the configuration...\nnginx.service failed\n"))
	waitText(t, ctx, `#host-laptop2 .state`, StateReverted)
	if marker, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !marker {
		t.Errorf("the page was reloaded to show the report (%v)", err)
	}
	if got := text(t, ctx, `#host-laptop2`); !strings.Contains(got, "nginx.service") || !strings.Contains(got, "test") {
		t.Errorf("laptop2's row lacks the failed phase and unit: %q", got)
	}
	testserver.Screenshot(t, ctx, shots, "fleet-live")

	// The host page: history and log tail.
	if _, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(h.URL+"/hosts/laptop2"), chromedp.WaitVisible(chromedp.CSS(`#log`)))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, `#log`); !strings.Contains(got, "nginx.service failed") {
		t.Errorf("log tail shows %q", got)
	}
	if got := text(t, ctx, `#diff`); !strings.Contains(got, "nginx") || !strings.Contains(got, "bbb-nixos-system-laptop2") {
		t.Errorf("closure diff shows %q", got)
	}
	if got := text(t, ctx, `h1`); !strings.Contains(got, "laptop2") || !strings.Contains(got, StateReverted) {
		t.Errorf("host page heading %q", got)
	}
	testserver.Screenshot(t, ctx, shots, "host")

	// On a phone: nothing wider than the screen.
	_, err := chromedp.Run(ctx, chromedp.Steps(chromedp.EmulateViewport(390, 844), chromedp.Navigate(h.URL+"/"),
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
	testserver.Screenshot(t, ctx, shots, "fleet-phone")
}

// TestPageRefusesWrongKey: a wrong key gets the form again, and the
// refusal is audited.
func TestPageRefusesWrongKey(t *testing.T) {
	h := startHub(t)
	ctx := testserver.Chromium(t)
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

// waitText waits until the element's text is want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	testserver.WaitText(t, ctx, sel, 15*time.Second, func(s string) bool { return strings.TrimSpace(s) == want })
}
