package nixos

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"

	"github.com/berth-nix/berth/internal/fault"
)

// EvalOutPath evaluates the output path of path:<flakeDir>#<attr> without
// building anything, so that a prebuilt system can be checked against the
// flake that claims to describe it. The lock file is never written and the
// flake's nixConfig never accepted; errors are classified like
// BuildFlake's.
func (n *Nix) EvalOutPath(ctx context.Context, flakeDir, attr string, log io.Writer) (string, error) {
	ref, err := flakeRef(flakeDir, attr+".outPath")
	if err != nil {
		return "", fault.AsStalling(err)
	}
	args := []string{"--extra-experimental-features", Features, "eval", "--raw", "--no-write-lock-file"}
	args = append(append(args, n.extraArgs()...), ref)
	var stdout bytes.Buffer
	tail, err := n.run(ctx, n.command(), args, &stdout, log)
	if err != nil {
		return "", evalError(ctx, ref, err, tail)
	}
	out := strings.TrimSpace(stdout.String())
	if !IsStorePath(out) {
		return "", fault.Stallingf("nix eval %s: %q is not a store path", ref, out)
	}
	return out, nil
}

// evalError classifies a failed nix eval as buildError does a build.
func evalError(ctx context.Context, ref string, err error, tail string) error {
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return fault.Transientf("nix eval %s: interrupted: %w", ref, ctx.Err())
	case !errors.As(err, &exit), environmental(tail):
		return fault.Transientf("nix eval %s: %v\n%s", ref, err, tail)
	}
	return fault.Stallingf("nix eval %s: %v\n%s", ref, err, tail)
}
