package nixos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/berth-nix/berth/internal/fault"
)

// copyOptions are the settings every copy from a binary cache runs with.
// A cache that answered "not here" a minute ago may have the path now, so
// negative lookups are not cached; nothing is fetched from the caches in
// nix.conf behind the caller's back; a cache that does not answer gives up
// after a bounded wait instead of curl's default of minutes. Signature
// checking is left as the host's nix.conf has it (require-sigs defaults to
// true), against the host's own trusted-public-keys.
var copyOptions = []string{
	"--option", "narinfo-cache-negative-ttl", "0",
	"--option", "substituters", "",
	"--option", "connect-timeout", "15",
}

// Realise makes the store path valid in the local store with its whole
// closure. A path that is already valid is left as it is. Otherwise the
// closure is copied with `nix copy --from <cache>` from each of
// substituters in turn until one succeeds.
//
// The downloads together are bounded by BuildTimeout.
//
// Nix checks every copied path's signature against the host's
// trusted-public-keys. Errors: a path no trusted key signed is Stalling
// (the revision names something the host must not run) unless another
// cache could not be asked at all; an unreachable cache, a path missing
// from every cache, or no cache to ask is Transient.
func (n *Nix) Realise(ctx context.Context, path string, substituters []string, log io.Writer) error {
	if !IsStorePath(path) {
		return fault.Stallingf("realise %q: not a store path", path)
	}
	valid, err := n.IsValid(ctx, path)
	if err != nil || valid {
		return err
	}
	if len(substituters) == 0 {
		return fault.Transientf("realise %s: it is not in the local store and no binary cache is configured to fetch it from", path)
	}
	ctx, cancel := n.bounded(ctx)
	defer cancel()
	var fails []copyFailure
	for _, sub := range substituters {
		f, ok := n.copyFrom(ctx, sub, path, log)
		if ok {
			return nil
		}
		if terr := n.timedOut(ctx, "realise "+path); terr != nil {
			return terr
		}
		if ctx.Err() != nil {
			return fault.Transientf("realise %s: interrupted: %w", path, ctx.Err())
		}
		fails = append(fails, f)
	}
	return realiseError(path, fails)
}

// IsValid reports whether path is valid in the local store, without
// fetching it from anywhere.
func (n *Nix) IsValid(ctx context.Context, path string) (bool, error) {
	args := []string{"--extra-experimental-features", Features, "path-info",
		"--option", "substituters", "", path}
	tail, err := n.run(ctx, n.command(), args, io.Discard, nil)
	if err == nil {
		return true, nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && strings.Contains(tail, "is not valid") {
		return false, nil
	}
	return false, fault.Transientf("nix path-info %s: %v\n%s", path, err, tail)
}

// copyFailure is why one cache did not deliver the closure.
type copyFailure struct {
	cache string
	kind  failureKind
	tail  string
}

type failureKind int

const (
	// failOther is any failure not known to be the path's own fault.
	failOther failureKind = iota
	// failSignature: the cache served a path no trusted key signed.
	failSignature
	// failUnreachable: the cache could not be asked.
	failUnreachable
)

func (n *Nix) copyFrom(ctx context.Context, cache, path string, log io.Writer) (copyFailure, bool) {
	logf := func(format string, args ...any) {
		if log != nil {
			fmt.Fprintf(log, format+"\n", args...)
		}
	}
	logf("berth: fetching %s from %s", path, cache)
	args := []string{"--extra-experimental-features", Features, "copy", "--from", cache}
	args = append(append(args, copyOptions...), path)
	tail, err := n.run(ctx, n.command(), args, nil, log)
	if err == nil {
		return copyFailure{}, true
	}
	f := copyFailure{cache: cache, kind: classifyCopy(tail), tail: tail}
	if f.tail == "" {
		f.tail = err.Error()
	}
	return f, false
}
