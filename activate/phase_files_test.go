package activate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-nix/berth/activate/files"
	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/nixos"
)

// okSwitcher stands in for systemd: every switch-to-configuration it is
// asked for succeeds at once. The files installer and the file system
// under test are real.
type okSwitcher struct{ calls []string }

func (s *okSwitcher) Switch(_ context.Context, top, action, unit, _ string, _ time.Duration) (nixos.Outcome, error) {
	s.calls = append(s.calls, action+" "+top)
	return nixos.Outcome{Exists: true, Done: true, Result: "success"}, nil
}
func (s *okSwitcher) Wait(context.Context, string, time.Duration) (nixos.Outcome, error) {
	return nixos.Outcome{Exists: true, Done: true, Result: "success"}, nil
}
func (s *okSwitcher) UnitOutcome(context.Context, string) (nixos.Outcome, error) {
	return nixos.Outcome{}, nil
}
func (s *okSwitcher) Release(context.Context, string) error { return nil }

type nopJournal struct{}

func (nopJournal) Record(Progress) error { return nil }

// filesHost is an Activator whose files tree is installed under a
// temporary root, with v1 of /etc/app/key committed and v2 installed by
// attempt "a2" but neither committed nor restored: where a crashed agent
// leaves it.
func filesHost(t *testing.T) (*Activator, *okSwitcher, string) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "needs root to chown")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	in := &files.Installer{Root: root, StateDir: filepath.Join(dir, "state")}
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, content := range []string{"v1", "v2"} {
		stage := filepath.Join(dir, "stage", content, "files", "etc", "app")
		if err := os.MkdirAll(stage, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(stage, "key"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		plan, err := in.Plan(filepath.Join(dir, "stage", content, "files"), filepath.Join(dir, "none.yaml"))
		if err == nil {
			err = in.Install([]string{"a1", "a2"}[i], plan)
		}
		if err == nil && i == 0 {
			err = in.Commit("a1")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	sw := &okSwitcher{}
	return &Activator{Files: in, Systemd: sw, Nix: &fakeNix{}, Root: dir, Profile: filepath.Join(dir, "profile")}, sw, filepath.Join(root, "etc/app/key")
}

func readString(t *testing.T, p string) string {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestResumedRevertRestoresFiles: an agent that died during a revert
// restores the attempt's files when it resumes, before re-activating the
// previous system.
func TestResumedRevertRestoresFiles(t *testing.T) {
	a, sw, key := filesHost(t)
	var log bytes.Buffer
	p := Progress{ID: "a2", Phase: PhaseRevert, Toplevel: "/nix/store/bbbb-new", Previous: "/nix/store/aaaa-old", Cause: "units failed"}
	res := a.Resume(context.Background(), p, nopJournal{}, &log)
	if res.Outcome != Reverted {
		t.Fatalf("got %s %v, want reverted\n%s", res.Outcome, res.Err, log.String())
	}
	if got := readString(t, key); got != "v1" {
		t.Errorf("key holds %q after the revert, want v1", got)
	}
	if len(sw.calls) != 1 || sw.calls[0] != "test /nix/store/aaaa-old" {
		t.Errorf("switches %v, want the previous system's test", sw.calls)
	}
}

// TestResumedPromotionCommitsFiles: an agent that died during the
// promotion records the attempt's files as installed when it resumes; a
// later recovery leaves them alone.
func TestResumedPromotionCommitsFiles(t *testing.T) {
	a, _, key := filesHost(t)
	var log bytes.Buffer
	p := Progress{ID: "a2", Phase: PhasePromote, Toplevel: "/nix/store/bbbb-new", Previous: "/nix/store/aaaa-old"}
	if res := a.Resume(context.Background(), p, nopJournal{}, &log); res.Outcome != Applied {
		t.Fatalf("got %s %v, want applied\n%s", res.Outcome, res.Err, log.String())
	}
	if ids, err := a.Files.Recover(); err != nil || len(ids) != 0 {
		t.Errorf("recover after the promotion: %v %v, want nothing left", ids, err)
	}
	if got := readString(t, key); got != "v2" {
		t.Errorf("key holds %q after the promotion, want v2", got)
	}
	m, err := a.Files.Manifest()
	if err != nil || len(m.Entries) != 3 {
		t.Errorf("manifest %+v %v, want /etc, /etc/app and the key", m, err)
	}
}

// failedUnits is systemd's failed-unit list, fixed.
type failedUnits []string

func (f failedUnits) FailedUnits(context.Context) ([]string, error) { return f, nil }

// TestFilesOnlyChangeIsVerified: an attempt whose system already runs
// and whose files changed goes through the same verify phase: a unit that
// fails reverts it as one (the files come back, no system is switched
// to); a clean verdict records the files, with no switch either.
func TestFilesOnlyChangeIsVerified(t *testing.T) {
	for _, tt := range []struct {
		name   string
		failed failedUnits
		want   Outcome
		key    string
	}{
		{"unit failed", failedUnits{"web.service"}, Reverted, "v1"},
		{"healthy", nil, Applied, "v2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, sw, key := filesHost(t)
			a.Units = tt.failed
			var log bytes.Buffer
			ok := nixos.Outcome{Exists: true, Done: true, Result: "success"}
			p := Progress{ID: "a2", Phase: PhaseVerify, Toplevel: "/nix/store/aaaa-same", Previous: "/nix/store/aaaa-same", Outcome: &ok}
			res := a.Resume(context.Background(), p, nopJournal{}, &log)
			if res.Outcome != tt.want {
				t.Fatalf("got %s %v, want %s\n%s", res.Outcome, res.Err, tt.want, log.String())
			}
			if got := readString(t, key); got != tt.key {
				t.Errorf("key holds %q, want %s", got, tt.key)
			}
			if len(sw.calls) != 0 {
				t.Errorf("switches %v, want none: the system did not change", sw.calls)
			}
		})
	}
}
