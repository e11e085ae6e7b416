package nixos

import (
	"context"
	"io"

	"github.com/berth-nix/berth/internal/fault"
)

// The admin side of prebuilt systems: a build server signs what it built
// and pushes it to the binary cache the hosts realise it from.

// Sign signs path and its whole closure in the local store with the
// secret key in keyFile (`nix store sign --recursive --key-file`), so that
// hosts trusting the matching public key accept them.
func (n *Nix) Sign(ctx context.Context, path, keyFile string, log io.Writer) error {
	args := []string{"--extra-experimental-features", Features, "store", "sign", "--recursive", "--key-file", keyFile, path}
	if tail, err := n.run(ctx, n.command(), args, nil, log); err != nil {
		return fault.Transientf("nix store sign %s: %v\n%s", path, err, tail)
	}
	return nil
}

// CopyTo copies path's closure to the store at url, usually a binary
// cache (`nix copy --to <url>`); paths already there are skipped.
func (n *Nix) CopyTo(ctx context.Context, url, path string, log io.Writer) error {
	args := []string{"--extra-experimental-features", Features, "copy", "--to", url, path}
	if tail, err := n.run(ctx, n.command(), args, nil, log); err != nil {
		return fault.Transientf("nix copy --to %s %s: %v\n%s", url, path, err, tail)
	}
	return nil
}
