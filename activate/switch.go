package activate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

// switchTo runs `<top>/bin/switch-to-configuration <action>` as unit,
// once no other switch holds the lock. switch-to-configuration takes its
// lock itself, non-blocking, and a caller cannot hold it across the call
// (see nixos.SwitchLock), so another switch can still take it between
// berth's look and the unit's start. Such a switch is refused before it
// changes anything: it is tried again once the other one has finished,
// within Policy.LockWait; after that the error is a lockRefused
// (Transient): nothing changed, nothing to revert.
func (a *Activator) switchTo(ctx context.Context, top, action, unit, logPath string, timeout time.Duration, log io.Writer) (nixos.Outcome, error) {
	deadline := time.Now().Add(a.Policy.LockWait)
	for {
		if err := a.waitLock(ctx, log, deadline); err != nil {
			if ctx.Err() != nil {
				return nixos.Outcome{}, err
			}
			return nixos.Outcome{}, fault.AsTransient(&lockRefused{action: action, err: err})
		}
		mark := logSize(logPath)
		o, err := a.Systemd.Switch(ctx, top, action, unit, logPath, timeout)
		if err != nil || !nixos.RefusedByLock(o, logSince(logPath, mark)) {
			return o, err
		}
		logf(log, "switch-to-configuration %s was refused: another switch took %s first; nothing was changed, trying again once it is done", action, a.LockPath)
		if time.Now().After(deadline) {
			return o, fault.AsTransient(&lockRefused{action: action, err: fmt.Errorf("still refused after %s", a.Policy.LockWait)})
		}
		if err := sleep(ctx, a.Policy.Poll); err != nil {
			return o, err
		}
	}
}

// lockRefused is the cause of a switch that could not take
// switch-to-configuration's lock: nothing was changed.
type lockRefused struct {
	action string
	err    error
}

func (e *lockRefused) Error() string {
	return fmt.Sprintf("switch-to-configuration %s could not take its lock, another switch holds it (%v); nothing was changed, berth tries again later", e.action, e.err)
}

func (e *lockRefused) Unwrap() error { return e.err }

func isLockRefused(err error) bool {
	var e *lockRefused
	return errors.As(err, &e)
}

// logSize is how long the attempt's log is, so that a unit's output can
// be told from what came before.
func logSize(path string) int64 {
	fi, err := os.Stat(path)
	if path == "" || err != nil {
		return 0
	}
	return fi.Size()
}

// logSince returns at most 64 KiB of what was appended to the log at path
// from offset on.
func logSince(path string, offset int64) []byte {
	f, err := os.Open(path)
	if path == "" || err != nil {
		return nil
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	n, _ := f.ReadAt(buf, offset)
	return buf[:n]
}
