package hub

import (
	"context"
	"fmt"
	"testing"

	"github.com/berth-nix/berth/internal/webhook"
)

func TestAffectedHosts(t *testing.T) {
	tests := []struct {
		hostDir string
		paths   []string
		known   bool
		want    []string
	}{
		{"hosts/{hostname}", []string{"hosts/a/configuration.nix"}, true, []string{"a"}},
		{"hosts/{hostname}", []string{"hosts/a/x", "hosts/b/files/etc/motd"}, true, []string{"a", "b"}},
		{"hosts/{hostname}", []string{"hosts/zz/x"}, true, nil},
		{"hosts/{hostname}", []string{"hosts/a/x", "modules/common.nix"}, true, []string{"a", "b", "c"}},
		{"hosts/{hostname}", []string{"README.md"}, true, []string{"a", "b", "c"}},
		{"hosts/{hostname}", []string{"hosts/a/x"}, false, []string{"a", "b", "c"}},
		{"machines/{hostname}/nixos", []string{"machines/b/nixos/flake.nix"}, true, []string{"b"}},
		{"machines/{hostname}/nixos", []string{"machines/b/notes.txt"}, true, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		h := startHub(t, "a", "b", "c")
		h.cfg.HostDir = tt.hostDir
		got := h.affected(context.Background(), webhook.Push{IsPush: true, Paths: tt.paths, PathsKnown: tt.known})
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s, paths %v (known %v): got %v, want %v", tt.hostDir, tt.paths, tt.known, got, tt.want)
		}
	}
}
