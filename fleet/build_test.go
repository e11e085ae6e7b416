package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildHosts(t *testing.T) {
	repo := t.TempDir()
	for _, d := range []string{"hosts/b", "hosts/a", "hosts/.git", "hosts/a/nixos"} {
		os.MkdirAll(filepath.Join(repo, d), 0o755)
	}
	os.WriteFile(filepath.Join(repo, "hosts/README"), nil, 0o644)
	tests := []struct {
		o       BuildOptions
		want    string
		wantErr bool
	}{
		{BuildOptions{Fleet: repo, HostDir: "hosts/{hostname}"}, "a,b", false},
		{BuildOptions{Fleet: repo, HostDir: "hosts/{hostname}", Hosts: []string{"z", "a", "z"}}, "a,z", false},
		// {hostname} may be followed by more path, as in fleet status.
		{BuildOptions{Fleet: repo, HostDir: "hosts/{hostname}/nixos"}, "a", false},
		{BuildOptions{Fleet: repo, HostDir: "hosts/x-{hostname}"}, "", true},
		{BuildOptions{Fleet: repo, HostDir: "hosts"}, "", true},
		{BuildOptions{Fleet: repo, HostDir: "hosts/{hostname}", Hosts: []string{"../x"}}, "", true},
	}
	for _, tt := range tests {
		got, err := BuildHosts(tt.o)
		if (err != nil) != tt.wantErr || strings.Join(got, ",") != tt.want {
			t.Errorf("BuildHosts(%+v): got %v, %v, want %q (error %v)", tt.o, got, err, tt.want, tt.wantErr)
		}
	}
}
