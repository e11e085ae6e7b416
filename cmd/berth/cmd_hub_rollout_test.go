package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/reconciler"
	"github.com/berth-nix/berth/reconciler/hubclient"
	"github.com/berth-nix/berth/source"
)

// TestHubRolloutCommands runs `berth hub` with a rollout policy in which
// laptop1 is the only canary: the agent's client asks the real hub's
// gate, its failed report halts the rollout, and `berth hub rollout
// status|resume|abort` show and act on it.
func TestHubRolloutCommands(t *testing.T) {
	url, keyFile, dir := startHubCmdWith(t, func(dir string) string {
		os.WriteFile(filepath.Join(dir, "rollout.yaml"), []byte("groups:\n  canary: {hosts: [laptop1]}\n  rest: {hosts: ['*']}\nwaves:\n  - {name: canary, groups: [canary], soak: 1h}\n  - {name: rest, groups: [rest], after: [canary]}\n"), 0o644)
		return "rollout:\n  policy_file: " + dir + "/rollout.yaml\n"
	})
	client := []string{"--hub", url, "--key-file", keyFile}
	hc := &hubclient.Client{URL: url, TokenFile: filepath.Join(dir, "laptop1"), HTTP: &http.Client{Timeout: 10 * time.Second}}
	commit := strings.Repeat("b", 40)
	art := source.Artifact{Revision: "main@sha1:" + commit, Commit: commit}
	ok, why, err := hc.Admit(context.Background(), art)
	if !ok || err != nil {
		t.Fatalf("the canary asks the gate: %v %q %v, want allowed", ok, why, err)
	}
	rep := reconciler.HostReport{Version: 1, Host: "laptop1", At: time.Now(), Result: reconciler.ResultReverted,
		Attempt: &reconciler.Attempt{Revision: art.Revision, Commit: commit, Result: reconciler.ResultReverted, Phase: "test", FailedUnits: []string{"nginx.service"}}}
	if err := hc.Send(context.Background(), rep, ""); err != nil {
		t.Fatal(err)
	}
	out, code := berth(t, append([]string{"hub", "rollout", "status"}, client...)...)
	for _, want := range []string{"rollout " + commit + ": halted", "failing: laptop1: test: failed units nginx.service", "canary", "halted"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("hub rollout status lacks %q: exit %d\n%s", want, code, out)
		}
	}
	out, code = berth(t, append([]string{"hub", "rollout", "resume", "bbbbbb"}, client...)...)
	if code != 0 || !strings.Contains(out, ": rolling") || !strings.Contains(out, "soaking") {
		t.Errorf("hub rollout resume: exit %d\n%s", code, out)
	}
	out, code = berth(t, append([]string{"hub", "rollout", "abort"}, client...)...)
	if code != 0 || !strings.Contains(out, ": aborted") {
		t.Errorf("hub rollout abort: exit %d\n%s", code, out)
	}
	if out, code := berth(t, append([]string{"hub", "rollout", "abort", "ffff"}, client...)...); code != 1 || !strings.Contains(out, "404") {
		t.Errorf("abort of an unknown rollout: exit %d, want 1 and a 404\n%s", code, out)
	}
	out, _ = berth(t, append([]string{"hub", "audit"}, client...)...)
	for _, want := range []string{"rollout.start", "rollout.halted", "rollout.resume", "rollout.abort", "key:root"} {
		if !strings.Contains(out, want) {
			t.Errorf("hub audit lacks %q\n%s", want, out)
		}
	}
	if ok, why, _ := hc.Admit(context.Background(), art); ok || !strings.Contains(why, "aborted") {
		t.Errorf("after the abort the gate says %v %q, want aborted", ok, why)
	}
}
