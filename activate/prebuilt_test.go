package activate

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/nixos"
)

const (
	storeA = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-a"
	storeB = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-b"
)

func TestParseDeclaration(t *testing.T) {
	tests := []struct {
		in      string
		want    *Declaration
		wantErr string
	}{
		{`{"toplevel": "` + storeA + `"}`, &Declaration{Toplevel: storeA}, ""},
		{`{"toplevel": "` + storeA + `", "substituters": ["https://c"]}`, &Declaration{Toplevel: storeA, Substituters: []string{"https://c"}}, ""},
		{`{"toplevel": "/etc/passwd"}`, nil, "toplevel"},
		{`{}`, nil, "toplevel"},
		{`{"toplevel": "` + storeA + `", "substituters": [" "]}`, nil, "substituters[0]"},
		{`{"toplevel": "` + storeA + `", "trusted-public-keys": ["k"]}`, nil, "unknown field"},
		{`{"toplevel": "` + storeA + `"} {}`, nil, "more than one"},
		{`not json`, nil, "prebuilt.json"},
	}
	for _, tt := range tests {
		got, err := ParseDeclaration([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || fault.ClassOf(err) != fault.Stalling {
				t.Errorf("ParseDeclaration(%s): got error %v, want a stalling error mentioning %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseDeclaration(%s): got %+v, %v, want %+v", tt.in, got, err, tt.want)
		}
	}
}

// fakeNix records what the Prebuilt builder asked of the Builder and the
// Realiser; it stands in for nix in these tests of decision logic only.
type fakeNix struct {
	calls   []string
	caches  []string
	evalOut string
	err     error
}

func (f *fakeNix) BuildFlake(ctx context.Context, flakeDir, attr string, log io.Writer) (string, error) {
	f.calls = append(f.calls, "build")
	return storeB, f.err
}

func (f *fakeNix) SetProfile(ctx context.Context, profile, toplevel string, log io.Writer) error {
	return nil
}

func (f *fakeNix) Realise(ctx context.Context, path string, caches []string, log io.Writer) error {
	f.calls, f.caches = append(f.calls, "realise"), caches
	return f.err
}

func (f *fakeNix) EvalOutPath(ctx context.Context, flakeDir, attr string, log io.Writer) (string, error) {
	f.calls = append(f.calls, "eval")
	return f.evalOut, nil
}

func hostDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPrebuiltBuildFlake(t *testing.T) {
	decl := `{"toplevel": "` + storeA + `"}`
	named := `{"toplevel": "` + storeA + `", "substituters": ["https://b.example/"]}`
	allowed := []string{"https://a.example", "https://b.example"}
	tests := []struct {
		name       string
		files      map[string]string
		match      bool
		evalOut    string
		want       string
		wantCalls  []string
		wantCaches []string
		wantErr    string
	}{
		{"no declaration builds", map[string]string{"flake.nix": "{}"}, false, "", storeB, []string{"build"}, nil, ""},
		{"declaration is fetched, flake ignored", map[string]string{PrebuiltFile: decl, "flake.nix": "{}"}, false, "", storeA, []string{"realise"}, allowed, ""},
		{"named cache", map[string]string{PrebuiltFile: named}, false, "", storeA, []string{"realise"}, []string{"https://b.example/"}, ""},
		{"cache not allowed", map[string]string{PrebuiltFile: `{"toplevel": "` + storeA + `", "substituters": ["https://evil.example"]}`}, false, "", "", nil, nil, "not among"},
		{"flake matches", map[string]string{PrebuiltFile: decl, "flake.nix": "{}"}, true, storeA, storeA, []string{"eval", "realise"}, allowed, ""},
		{"flake differs", map[string]string{PrebuiltFile: decl, "flake.nix": "{}"}, true, storeB, "", []string{"eval"}, nil, "does not match"},
		{"no flake to match", map[string]string{PrebuiltFile: decl}, true, "", "", nil, nil, "no flake.nix"},
		{"bad declaration", map[string]string{PrebuiltFile: `{"toplevel": 1}`}, false, "", "", nil, nil, "prebuilt.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeNix{evalOut: tt.evalOut}
			p := &Prebuilt{Builder: f, Fetch: f, Allowed: allowed, MatchFlake: tt.match}
			got, err := p.BuildFlake(context.Background(), hostDir(t, tt.files), "attr", nil)
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || fault.ClassOf(err) != fault.Stalling) {
				t.Errorf("error: got %v, want a stalling error mentioning %q", err, tt.wantErr)
			}
			if tt.wantErr == "" && err != nil {
				t.Errorf("error: got %v, want none", err)
			}
			if got != tt.want || !reflect.DeepEqual(f.calls, tt.wantCalls) || !reflect.DeepEqual(f.caches, tt.wantCaches) {
				t.Errorf("got %q, calls %v, caches %v; want %q, %v, %v", got, f.calls, f.caches, tt.want, tt.wantCalls, tt.wantCaches)
			}
		})
	}
}

func TestPrebuiltKeepsRealiseClass(t *testing.T) {
	f := &fakeNix{err: fault.Transientf("cache down")}
	p := &Prebuilt{Builder: f, Fetch: f}
	_, err := p.BuildFlake(context.Background(), hostDir(t, map[string]string{PrebuiltFile: `{"toplevel": "` + storeA + `"}`}), "attr", nil)
	if fault.ClassOf(err) != fault.Transient {
		t.Errorf("got %v, want the realiser's transient error", err)
	}
}

// fakeDiffer answers with a fixed diff between any two systems.
type fakeDiffer struct{ err error }

func (f fakeDiffer) DiffClosures(ctx context.Context, before, after string) (nixos.ClosureDiff, error) {
	return nixos.ClosureDiff{Before: before, After: after, SizeDelta: 2048,
		Packages: []nixos.PackageChange{{Name: "hello", Kind: nixos.PackageAdded, After: "2.12"}}}, f.err
}

// TestDiffLogsAndReturns: the activator compares the new system with the
// running one itself and returns the diff for the attempt's Result.
func TestDiffLogsAndReturns(t *testing.T) {
	var log strings.Builder
	a := &Activator{Differ: fakeDiffer{}}
	got := a.diff(context.Background(), storeA, storeB, &log)
	if got == nil || got.Before != storeA || got.After != storeB {
		t.Errorf("diff: got %+v, want the diff %s → %s", got, storeA, storeB)
	}
	if !strings.Contains(log.String(), "1 added, closure +2.0 KiB") || !strings.Contains(log.String(), "hello: ∅ → 2.12") {
		t.Errorf("log: got %q, want the diff summary and lines", log.String())
	}
	if got := (&Activator{}).diff(context.Background(), storeA, storeB, &log); got != nil {
		t.Errorf("without a Differ: got %+v, want nil", got)
	}
}

func TestDiffFailureIsAWarning(t *testing.T) {
	var log strings.Builder
	a := &Activator{Differ: fakeDiffer{err: errors.New("boom")}}
	if got := a.diff(context.Background(), storeA, storeB, &log); got != nil || !strings.Contains(log.String(), "warning: cannot compare") {
		t.Errorf("got %+v, log %q: want no diff and a warning", got, log.String())
	}
}
