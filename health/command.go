package health

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Command passes when Argv exits with status 0 within Timeout. With User
// set it runs as that account, with its groups and home directory.
type Command struct {
	CheckName string
	Argv      []string
	User      string
	Timeout   time.Duration
}

func (c Command) Name() string { return c.CheckName }

// Run runs the command; a failure carries the end of its output. A command
// that outlives Timeout is killed with its whole process group.
func (c Command) Run(ctx context.Context) error {
	if len(c.Argv) == 0 {
		return fmt.Errorf("no command")
	}
	ctx, cancel := withTimeout(ctx, c.Timeout)
	defer cancel()
	cmd, err := c.command(ctx)
	if err != nil {
		return err
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil && err != nil {
		err = fmt.Errorf("killed: %w", ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("%s: %w: %s", c.Argv[0], err, lastBytes(out, 500))
	}
	return nil
}

func (c Command) command(ctx context.Context) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	KillGroupOnCancel(cmd)
	if c.User == "" {
		return cmd, nil
	}
	cred, env, err := credentialOf(c.User)
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr.Credential = cred
	cmd.Env, cmd.Dir = env, "/"
	return cmd, nil
}

// KillGroupOnCancel makes cmd a process group leader that, when its
// context ends, is killed together with everything it started; output
// pipes still held by such children are closed a moment later, so Wait
// returns.
func KillGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
	cmd.WaitDelay = 2 * time.Second
}

// credentialOf looks up name and returns its uid, gid and groups, and an
// environment naming it.
func credentialOf(name string) (*syscall.Credential, []string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, nil, fmt.Errorf("user %q: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, nil, fmt.Errorf("user %q: %w", name, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, g := range ids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	env := []string{"HOME=" + u.HomeDir, "USER=" + u.Username, "LOGNAME=" + u.Username, "PATH=" + os.Getenv("PATH")}
	return cred, env, nil
}

func lastBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
