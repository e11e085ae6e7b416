package testserver

import (
	"fmt"
	"os/exec"
	"strings"
)

// CmdError is a failed external command with what it printed on stderr.
type CmdError struct {
	Args   []string
	Err    error
	Stderr string
}

func (e *CmdError) Error() string {
	return fmt.Sprintf("%s: %v: %s", strings.Join(e.Args, " "), e.Err, strings.TrimSpace(e.Stderr))
}

func (e *CmdError) Unwrap() error { return e.Err }

// run runs a command and returns its combined output, failing with a
// CmdError that carries that output.
func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "", &CmdError{Args: append([]string{name}, args...), Err: err, Stderr: string(out)}
	}
	return string(out), nil
}
