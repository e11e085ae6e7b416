package nixos

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/berth-nix/berth/internal/fault"
)

// SystemProfile is the NixOS system profile whose newest generation the
// boot loader entries are made from.
const SystemProfile = "/nix/var/nix/profiles/system"

// SetProfile makes toplevel the newest generation of profile with
// `nix-env -p <profile> --set <toplevel>`, streaming its output to log.
// nix-env is looked up beside the nix binary first, then on PATH. Failures
// are Transient: the store path was already built, so the revision is not
// at fault.
func (n *Nix) SetProfile(ctx context.Context, profile, toplevel string, log io.Writer) error {
	if !IsStorePath(toplevel) {
		return fault.Stallingf("set profile %s: %q is not a store path", profile, toplevel)
	}
	nixEnv, err := n.nixEnv()
	if err != nil {
		return fault.Transientf("set profile %s: %w", profile, err)
	}
	args := []string{"-p", profile, "--set", toplevel}
	if tail, err := n.run(ctx, nixEnv, args, nil, log); err != nil {
		return fault.Transientf("nix-env -p %s --set %s: %v\n%s", profile, toplevel, err, tail)
	}
	return nil
}

// nixEnv finds the nix-env that belongs to the configured nix.
func (n *Nix) nixEnv() (string, error) { return n.tool("nix-env") }

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// ProfileSystem resolves a profile (e.g. SystemProfile) through its
// generation link to the store path it points at.
func ProfileSystem(profile string) (string, error) {
	p, err := filepath.EvalSymlinks(profile)
	if err != nil {
		return "", fmt.Errorf("profile %s: %w", profile, err)
	}
	if !IsStorePath(p) {
		return "", fmt.Errorf("profile %s: resolves to %s, not a store path", profile, p)
	}
	return p, nil
}
