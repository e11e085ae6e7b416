package gitsource

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-nix/berth/internal/fault"
)

// DefaultMaxFetchBytes bounds how much one fetch may add to the local
// repository when Config.MaxFetchBytes is zero.
const DefaultMaxFetchBytes int64 = 4 << 30

// errFetchTooLarge is the cause of a fetch cancelled for its size.
var errFetchTooLarge = errors.New("fetch exceeded the size limit")

// growthWatch cancels a fetch whose download makes dir grow by more than
// max since start (its size when the reconcile's first fetch began, so
// that the fetches deepening history share the budget). A remote can
// otherwise send any amount before the host tree's own limits are
// checked; the watch bounds the disk it can fill.
type growthWatch struct {
	dir    string
	max    int64
	start  int64
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// watchGrowth starts watching dir, which was start bytes large when the
// budget began; call stop when the fetch returns.
func watchGrowth(ctx context.Context, dir string, max, start int64) *growthWatch {
	w := &growthWatch{dir: dir, max: max, start: start, done: make(chan struct{})}
	w.ctx, w.cancel = context.WithCancelCause(ctx)
	go w.loop()
	return w
}

func (w *growthWatch) loop() {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-w.ctx.Done():
			return
		case <-t.C:
			if w.grown() > w.max {
				w.cancel(errFetchTooLarge)
				return
			}
		}
	}
}

func (w *growthWatch) grown() int64 { return dirSize(w.dir) - w.start }

// stop ends the watch and says whether the fetch went over the limit,
// checking once more so that a fetch faster than the watch is caught too.
func (w *growthWatch) stop() error {
	close(w.done)
	defer w.cancel(nil)
	if context.Cause(w.ctx) == errFetchTooLarge || w.grown() > w.max {
		// Nothing of a refused fetch is kept: the next fetch starts afresh.
		os.RemoveAll(w.dir)
		return fault.Stallingf("git source: the fetches of this reconcile added more than %d bytes to %s (source.max_fetch_bytes); refusing them", w.max, w.dir)
	}
	return nil
}

// dirSize adds up the sizes of the regular files under dir, except a
// screened incoming pack, which is being copied into the repository and
// would otherwise count twice.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasSuffix(d.Name(), screenedSuffix) {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
