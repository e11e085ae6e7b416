package activate

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/prebuilt"
)

// Realiser fetches systems built elsewhere; *nixos.Nix is one.
type Realiser interface {
	// Realise makes path valid in the local store, copying it from the
	// first of caches that has it, signatures checked by Nix.
	Realise(ctx context.Context, path string, caches []string, log io.Writer) error
	// EvalOutPath evaluates, without building, the store path a flake
	// attribute would build.
	EvalOutPath(ctx context.Context, flakeDir, attr string, log io.Writer) (string, error)
}

// Prebuilt is a Builder for host directories that may declare a system
// built elsewhere. When the staged directory holds PrebuiltFile, the
// declared toplevel is fetched from a binary cache and nothing is
// evaluated (unless MatchFlake); otherwise the flake is built by Builder.
// Either way the rest of the transaction is the same.
//
// The repository names only which path to run and which of the Allowed
// caches to fetch it from; who is trusted to sign it is the host's own
// nix.conf (trusted-public-keys), never the repository.
type Prebuilt struct {
	// Builder builds flakes and sets profiles.
	Builder
	Fetch Realiser
	// Allowed are the binary caches a declaration may name. A declaration
	// that names none is fetched from all of them, in order.
	Allowed []string
	// MatchFlake requires a flake.nix beside the declaration whose
	// toplevel evaluates to the declared path.
	MatchFlake bool
}

// BuildFlake returns the declared prebuilt system once it is in the local
// store, or builds the flake when there is no declaration. A malformed
// declaration, a cache the host does not allow, a flake that does not
// match and a path no trusted key signed are Stalling; an unreachable
// cache is Transient.
func (p *Prebuilt) BuildFlake(ctx context.Context, flakeDir, attr string, log io.Writer) (string, error) {
	d, err := ReadDeclaration(flakeDir)
	if err != nil {
		return "", err
	}
	if d == nil {
		return p.Builder.BuildFlake(ctx, flakeDir, attr, log)
	}
	caches, err := p.caches(d)
	if err != nil {
		return "", err
	}
	if p.MatchFlake {
		if err := p.matchFlake(ctx, flakeDir, attr, d.Toplevel, log); err != nil {
			return "", err
		}
	}
	logf(log, "%s declares the prebuilt system %s: fetching it instead of building", PrebuiltFile, d.Toplevel)
	if err := p.Fetch.Realise(ctx, d.Toplevel, caches, log); err != nil {
		return "", err
	}
	return d.Toplevel, nil
}

// caches returns the caches to fetch d from: the ones it names, each of
// which must be allowed, or else all allowed ones.
func (p *Prebuilt) caches(d *Declaration) ([]string, error) {
	if len(d.Substituters) == 0 {
		return p.Allowed, nil
	}
	allowed := make([]string, len(p.Allowed))
	for i, a := range p.Allowed {
		allowed[i] = prebuilt.NormalCache(a)
	}
	for _, s := range d.Substituters {
		if !slices.Contains(allowed, prebuilt.NormalCache(s)) {
			return nil, fault.Stallingf("%s: substituters: %q is not among this host's prebuilt.substituters %v", PrebuiltFile, s, p.Allowed)
		}
	}
	return d.Substituters, nil
}

func (p *Prebuilt) matchFlake(ctx context.Context, flakeDir, attr, toplevel string, log io.Writer) error {
	if _, err := os.Stat(filepath.Join(flakeDir, "flake.nix")); err != nil {
		return fault.Stallingf("prebuilt.match_flake is set but the host directory has no flake.nix beside %s", PrebuiltFile)
	}
	logf(log, "evaluating %s to check it describes %s (prebuilt.match_flake)", attr, toplevel)
	out, err := p.Fetch.EvalOutPath(ctx, flakeDir, attr, log)
	if err != nil {
		return err
	}
	if out != toplevel {
		return fault.Stallingf("%s: toplevel %s does not match the flake, which evaluates to %s (prebuilt.match_flake)", PrebuiltFile, toplevel, out)
	}
	return nil
}
