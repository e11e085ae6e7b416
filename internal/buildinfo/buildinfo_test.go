package buildinfo

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/berth-nix/berth/internal/testenv"
)

func TestFrom(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d"}, {Key: "vcs.time", Value: "2026-05-01T10:00:00Z"}}
	tests := []struct {
		name      string
		linked    string
		bi        *debug.BuildInfo
		want      Info
		short     string
		longLines int
	}{
		{"no build info", "", nil, Info{Version: "unknown", GoVersion: runtime.Version()}, "unknown", 2},
		{"checkout", "", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			Info{Version: "(devel)", GoVersion: "go1.26.0"}, "(devel)", 2},
		{"module version and vcs", "", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.3.0"}, Settings: vcs},
			Info{Version: "v0.3.0", Revision: "1a2b3c4d5e6f7a8b9c0d", Time: "2026-05-01T10:00:00Z", GoVersion: "go1.26.0"}, "v0.3.0+1a2b3c4d5e6f", 4},
		{"linked version wins, modified tree", "0.1.0", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: append(vcs, debug.BuildSetting{Key: "vcs.modified", Value: "true"})},
			Info{Version: "0.1.0", Revision: "1a2b3c4d5e6f7a8b9c0d", Time: "2026-05-01T10:00:00Z", Modified: true, GoVersion: "go1.26.0"}, "0.1.0+1a2b3c4d5e6f-dirty", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := version
			version = tt.linked
			defer func() { version = old }()
			got := from(tt.bi)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.short {
				t.Errorf("String: got %q, want %q", s, tt.short)
			}
			if n := countLines(got.Long()); n != tt.longLines {
				t.Errorf("Long: got %d lines, want %d:\n%s", n, tt.longLines, got.Long())
			}
		})
	}
}

func countLines(s string) int {
	n := 0
	for _, c := range s {
		if c == '\n' {
			n++
		}
	}
	return n
}

// TestLinkedVersion builds berth the way the flake does, with the version
// set by -ldflags -X, and asks the binary which berth it is.
func TestLinkedVersion(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(t, "go is not on PATH: "+err.Error())
	}
	bin := filepath.Join(t.TempDir(), "berth")
	build := exec.Command(goBin, "build", "-buildvcs=false",
		"-ldflags", "-X github.com/berth-nix/berth/internal/buildinfo.version=9.8.7-test", "-o", bin, "../../cmd/berth")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("berth version --json: %v", err)
	}
	var got Info
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("berth version --json printed %q: %v", out, err)
	}
	if got.Version != "9.8.7-test" || got.GoVersion != runtime.Version() {
		t.Errorf("got %+v, want version 9.8.7-test built with %s", got, runtime.Version())
	}
	long, err := exec.Command(bin, "--version").Output()
	if err != nil || string(long) != got.Long() {
		t.Errorf("berth --version: got %q (%v), want %q", long, err, got.Long())
	}
}
