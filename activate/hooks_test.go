package activate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/fault"
)

func TestPreHooks(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	tests := []struct {
		name string
		pre  []Hook
		want string // "" = passes, else part of the error
	}{
		{"passes and sees the attempt", []Hook{{Name: "env", Argv: []string{"/bin/sh", "-c", "env > " + envFile}}}, ""},
		{"non-zero aborts", []Hook{{Name: "busy", Argv: []string{"/bin/sh", "-c", "echo user is presenting; exit 3"}}, {Name: "never", Argv: []string{"/bin/sh", "-c", "touch " + filepath.Join(dir, "never")}}}, "pre hook busy failed, nothing applied: exit status 3"},
		{"hang killed at timeout", []Hook{{Name: "hang", Argv: []string{"/bin/sh", "-c", "sleep 30 & sleep 30"}, Timeout: 200 * time.Millisecond}}, "killed at its timeout of 200ms"},
		{"missing program", []Hook{{Name: "gone", Argv: []string{"/nonexistent/hook"}}}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			a := &Activator{Hooks: &Hooks{Host: "alpha", Pre: tt.pre}}
			r := Result{Revision: "main@sha1:abc", Digest: "sha256:def", Toplevel: "/nix/store/new-system", Previous: "/nix/store/old-system"}
			start := time.Now()
			err := a.runPreHooks(context.Background(), &log, &r)
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v, want a hanging hook killed at its timeout", time.Since(start))
			}
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q\n%s", err, tt.want, log.String())
			}
			if err != nil && fault.ClassOf(err) != fault.Transient {
				t.Errorf("got class %v, want transient", fault.ClassOf(err))
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a hook after a failed one ran")
	}
	env, _ := os.ReadFile(envFile)
	for _, want := range []string{"BERTH_HOOK=pre", "BERTH_HOST=alpha", "BERTH_REVISION=main@sha1:abc", "BERTH_DIGEST=sha256:def",
		"BERTH_TOPLEVEL=/nix/store/new-system", "BERTH_PHASE=pre", "BERTH_RESULT=\n", "BERTH_REBOOT_NEEDED=0", "PATH="} {
		if !strings.Contains(string(env), want) {
			t.Errorf("pre hook environment lacks %q:\n%s", want, env)
		}
	}
}

func TestPostHooks(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	post := []Hook{
		{Name: "fails", Argv: []string{"/bin/false"}},
		{Name: "env", Argv: []string{"/bin/sh", "-c", "env > " + envFile + "; echo post hook output"}},
	}
	a := &Activator{Hooks: &Hooks{Host: "alpha", Post: post}}
	tests := []struct {
		r    Result
		runs bool
		want []string
	}{
		{Result{Outcome: Reverted, Phase: PhaseVerify, Toplevel: "/nix/store/x", Err: errors.New("checks failed after the switch: web (503)")}, true,
			[]string{"BERTH_HOOK=post", "BERTH_RESULT=reverted", "BERTH_PHASE=verify", "BERTH_ERROR=checks failed after the switch: web (503)", "BERTH_REBOOT_NEEDED=0"}},
		{Result{Outcome: Applied, Phase: PhasePromote, RebootNeeded: true}, true, []string{"BERTH_RESULT=applied", "BERTH_REBOOT_NEEDED=1", "BERTH_ERROR=\n"}},
		{Result{Outcome: Unchanged}, false, nil},
		{Result{Outcome: Interrupted}, false, nil},
	}
	for _, tt := range tests {
		os.Remove(envFile)
		var log bytes.Buffer
		a.finish(context.Background(), tt.r, "", &log)
		env, err := os.ReadFile(envFile)
		if ran := err == nil; ran != tt.runs {
			t.Errorf("%s: post hooks ran %v, want %v", tt.r.Outcome, ran, tt.runs)
			continue
		}
		for _, want := range tt.want {
			if !strings.Contains(string(env), want) {
				t.Errorf("%s: environment lacks %q", tt.r.Outcome, want)
			}
		}
		if tt.runs && (!strings.Contains(log.String(), "post hook fails failed") || !strings.Contains(log.String(), "post hook output")) {
			t.Errorf("%s: log lacks the failed hook or the hook output:\n%s", tt.r.Outcome, log.String())
		}
	}
}
