package activate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/berth-nix/berth/health"
	"github.com/berth-nix/berth/internal/fault"
)

// Hooks are the admin's commands run around each attempt. Pre hooks run
// once the system is built and before anything changes; one that fails
// (non-zero exit, or killed at its timeout) aborts the attempt with
// nothing applied. Post hooks run after every attempt that built a new
// system or failed, with its outcome; their failure is only logged. Both
// write into the attempt's log and see the variables of env.
type Hooks struct {
	Host      string
	Pre, Post []Hook
}

// Hook is one command; in the configuration file, an item of
// hooks.pre or hooks.post.
type Hook struct {
	Name string `yaml:"name"`
	// Argv is the command: its first item is an absolute path.
	Argv []string `yaml:"command"`
	// Timeout kills the hook and everything it started; 0 means none
	// (the configuration file's default is DefaultHookTimeout).
	Timeout time.Duration `yaml:"timeout"`
}

// finish cleans up after an attempt with a verdict and runs the post
// hooks. An interrupted attempt keeps everything for Resume.
func (a *Activator) finish(ctx context.Context, r Result, logPath string, log io.Writer) {
	if r.Outcome == Interrupted {
		return
	}
	removePlan(logPath)
	if r.Outcome == Unchanged || a.Hooks == nil {
		return
	}
	for _, h := range a.Hooks.Post {
		if err := runHook(ctx, h, a.Hooks.env("post", r), log); err != nil {
			logf(log, "warning: post hook %s failed: %v", h.Name, err)
		}
	}
}

// runPreHooks runs the pre hooks in order and stops at the first failure,
// which is Transient: a hook says the machine is not ready now.
func (a *Activator) runPreHooks(ctx context.Context, log io.Writer, r *Result) error {
	if a.Hooks == nil {
		return nil
	}
	start := time.Now()
	defer r.timed(PhasePreHooks, start)
	for _, h := range a.Hooks.Pre {
		if err := runHook(ctx, h, a.Hooks.env("pre", *r), log); err != nil {
			return fault.Transientf("pre hook %s failed, nothing applied: %w", h.Name, err)
		}
	}
	return nil
}

// env is the hook's environment on top of the agent's: what the attempt
// is and, for post hooks, how it ended.
func (h *Hooks) env(kind string, r Result) []string {
	phase, result, errText, reboot := "pre", "", "", "0"
	if kind == "post" {
		phase, result = string(r.Phase), string(r.Outcome)
	}
	if r.Err != nil {
		errText = r.Err.Error()
	}
	if r.RebootNeeded {
		reboot = "1"
	}
	return []string{"BERTH_HOOK=" + kind, "BERTH_HOST=" + h.Host, "BERTH_REVISION=" + r.Revision, "BERTH_DIGEST=" + r.Digest,
		"BERTH_TOPLEVEL=" + r.Toplevel, "BERTH_PREVIOUS=" + r.Previous, "BERTH_RESULT=" + result, "BERTH_PHASE=" + phase,
		"BERTH_ERROR=" + errText, "BERTH_REBOOT_NEEDED=" + reboot}
}

// runHook runs h with env added to the agent's environment, its output
// appended to log. At its timeout it is killed with its process group.
func runHook(ctx context.Context, h Hook, env []string, log io.Writer) error {
	if h.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Argv[0], h.Argv[1:]...)
	health.KillGroupOnCancel(cmd)
	cmd.Env, cmd.Dir = append(os.Environ(), env...), "/"
	if log != nil {
		cmd.Stdout, cmd.Stderr = log, log
	}
	logf(log, "hook %s: running %q", h.Name, h.Argv)
	start := time.Now()
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("killed at its timeout of %s", h.Timeout)
	}
	if err == nil {
		logf(log, "hook %s: ok (%v)", h.Name, time.Since(start).Round(time.Millisecond))
	}
	return err
}
