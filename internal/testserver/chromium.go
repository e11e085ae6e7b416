package testserver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/berth-nix/berth/internal/testenv"
)

// Chromium starts Debian's chromium headless, with a fresh profile and
// nothing that reaches the network on its own, and returns a chromedp
// context for one tab; it is stopped by t.Cleanup.
func Chromium(t *testing.T) context.Context {
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
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// Screenshot saves the whole page as dir/name.png (a test's temp
// directory), and also under $BERTH_SCREENSHOTS/<test>/ when that is set,
// so that a person can look at them after the run.
func Screenshot(t *testing.T, ctx context.Context, dir, name string) {
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
	if keep := os.Getenv("BERTH_SCREENSHOTS"); keep != "" {
		d := filepath.Join(keep, strings.ReplaceAll(t.Name(), "/", "_"))
		if err := os.MkdirAll(d, 0o755); err == nil {
			os.WriteFile(filepath.Join(d, name+".png"), png, 0o644)
		}
	}
}

// WaitText waits until the element sel matches shows text for which ok
// is true, and returns that text.
func WaitText(t *testing.T, ctx context.Context, sel string, d time.Duration, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(d)
	var got string
	for time.Now().Before(deadline) {
		got, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.AtLeast(0)))
		if ok(got) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s shows %q after %s", sel, got, d)
	return got
}

// SignIn opens url's login form and signs in with key, then waits for
// the element sel.
func SignIn(t *testing.T, ctx context.Context, url, key, sel string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Steps(
		chromedp.Navigate(url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=key]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=key]`), key),
		chromedp.Submit(chromedp.CSS(`input[name=key]`)),
		chromedp.WaitVisible(chromedp.CSS(sel)),
	))
	if err != nil {
		t.Fatalf("sign in at %s: %v", url, err)
	}
}
