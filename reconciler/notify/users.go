package notify

import (
	"context"
	"slices"

	"github.com/berth-nix/berth/reconciler/logind"
)

// GraphicalUsers lists, through logind, the uids with a graphical
// session, each once.
func GraphicalUsers(ctx context.Context) ([]uint32, error) {
	all, err := logind.Sessions(ctx)
	if err != nil {
		return nil, err
	}
	var uids []uint32
	for _, s := range logind.Graphical(all) {
		if !slices.Contains(uids, s.UID) {
			uids = append(uids, s.UID)
		}
	}
	return uids, nil
}
