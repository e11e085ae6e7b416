package reconciler

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/activate"
	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/source"
)

// The fakes below stand in for the source and the activator so that the
// reconciler's decisions can be checked alone; the real ones are exercised
// by their own packages and by the e2e suite.

type fakeSource struct {
	art source.Artifact
	// pollRev, when set, is what Poll answers instead of art's revision.
	pollRev        string
	pollErr        error
	fetchErr       error
	polls, fetches int
}

func (f *fakeSource) Poll(context.Context) (string, error) {
	f.polls++
	if f.pollRev != "" {
		return f.pollRev, f.pollErr
	}
	return f.art.Revision, f.pollErr
}

func (f *fakeSource) Fetch(context.Context) (source.Artifact, error) {
	f.fetches++
	return f.art, f.fetchErr
}

type fakeApplier struct {
	res     activate.Result
	resume  activate.Result
	applies int
	resumes int
	journal bool
}

func (f *fakeApplier) Apply(_ context.Context, req activate.Request, j activate.Journal) activate.Result {
	f.applies++
	if f.journal {
		if err := j.Record(activate.Progress{ID: req.ID, Phase: activate.PhaseTest, Toplevel: f.res.Toplevel, LogPath: req.LogPath}); err != nil {
			panic(err)
		}
	}
	return f.res
}

func (f *fakeApplier) Resume(context.Context, activate.Progress, activate.Journal, io.Writer) activate.Result {
	f.resumes++
	return f.resume
}

type fakeLineage struct{ ok bool }

func (f fakeLineage) Descends(context.Context, string, string) (bool, error) { return f.ok, nil }

func newRec(t *testing.T, src *fakeSource, app *fakeApplier) *Reconciler {
	dir := t.TempDir()
	return &Reconciler{Host: "h", Source: src, Applier: app, Attr: "x",
		Store: Store{Path: filepath.Join(dir, "state.json")}, History: History{Dir: filepath.Join(dir, "history"), Keep: 5},
		LockPath: filepath.Join(dir, "lock")}
}

func art(rev, digest string) source.Artifact {
	return source.Artifact{Host: "h", Revision: "main@sha1:" + rev, Commit: rev, Digest: digest, Path: "/stage/" + digest}
}

var applied = activate.Result{Outcome: activate.Applied, Toplevel: "/nix/store/aaa-top"}

func TestNewRevisionIsAppliedOnceThenSkipped(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	app := &fakeApplier{res: applied}
	r := newRec(t, src, app)
	ctx := context.Background()
	if rep := r.Run(ctx, Options{}); rep.Result != ResultApplied || rep.Err != nil {
		t.Fatalf("got %q (%v), want applied", rep.Result, rep.Err)
	}
	rep := r.Run(ctx, Options{})
	if rep.Result != ResultUnchanged || src.fetches != 1 || app.applies != 1 {
		t.Errorf("second run: got %q, %d fetches, %d applies; want unchanged, 1, 1", rep.Result, src.fetches, app.applies)
	}
	st, _ := r.Store.Load()
	if st.Applied == nil || st.Applied.Toplevel != applied.Toplevel || st.Applied.Commit != "c1" {
		t.Errorf("state: got %+v", st.Applied)
	}
	hist, _ := r.History.List()
	if len(hist) != 1 || hist[0].Result != "applied" {
		t.Errorf("history: got %+v, want one applied attempt", hist)
	}
}

func TestOtherHostsCommitCostsNoBuild(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	app := &fakeApplier{res: applied}
	r := newRec(t, src, app)
	r.Run(context.Background(), Options{})
	src.art = art("c2", "sha256:d1")
	rep := r.Run(context.Background(), Options{})
	if rep.Result != ResultUnchanged || app.applies != 1 {
		t.Errorf("got %q with %d applies, want unchanged with 1", rep.Result, app.applies)
	}
	st, _ := r.Store.Load()
	if st.Applied.Commit != "c2" {
		t.Errorf("applied commit: got %q, want c2 (the lineage must advance)", st.Applied.Commit)
	}
}

func TestRevertedConfigurationIsNotRetriedUntilItChanges(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:bad")}
	app := &fakeApplier{res: activate.Result{Outcome: activate.Reverted, Phase: activate.PhaseVerify,
		Err: fault.Stallingf("units failed after the switch: x.service")}}
	r := newRec(t, src, app)
	ctx := context.Background()
	if rep := r.Run(ctx, Options{}); rep.Result != ResultReverted {
		t.Fatalf("got %q, want reverted", rep.Result)
	}
	steps := []struct {
		name    string
		art     source.Artifact
		opts    Options
		applies int
	}{
		{"same revision", art("c1", "sha256:bad"), Options{}, 1},
		{"new commit, same host config", art("c2", "sha256:bad"), Options{}, 1},
		{"retry asked for", art("c2", "sha256:bad"), Options{Retry: true}, 2},
		{"new host config", art("c3", "sha256:good"), Options{}, 3},
	}
	for _, s := range steps {
		src.art = s.art
		r.Run(ctx, s.opts)
		if app.applies != s.applies {
			t.Errorf("%s: got %d applies, want %d", s.name, app.applies, s.applies)
		}
	}
	st, _ := r.Store.Load()
	if st.Rejected == nil || st.Rejected.Phase != "verify" {
		t.Errorf("rejection not recorded: %+v", st.Rejected)
	}
}

func TestHistoryRewriteIsRefused(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	app := &fakeApplier{res: applied}
	r := newRec(t, src, app)
	r.Run(context.Background(), Options{})
	r.Lineage = fakeLineage{ok: false}
	src.art = art("evil", "sha256:d2")
	rep := r.Run(context.Background(), Options{})
	if rep.Result != ResultRefused || app.applies != 1 || fault.ClassOf(rep.Err) != fault.Stalling {
		t.Fatalf("got %q (%v) with %d applies, want refused stalling with 1", rep.Result, rep.Err, app.applies)
	}
	hist, _ := r.History.List()
	if len(hist) != 2 || hist[0].Result != ResultRefused {
		t.Errorf("history: got %+v, want the refusal first", hist)
	}
	r.AllowRewrite = true
	if rep := r.Run(context.Background(), Options{Retry: true}); rep.Result != ResultApplied {
		t.Errorf("with allow_history_rewrite: got %q, want applied", rep.Result)
	}
}

func TestUnreachableSourceCountsFailuresAndTouchesNothing(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1"), pollErr: fault.Transientf("dial: connection refused")}
	app := &fakeApplier{res: applied}
	r := newRec(t, src, app)
	for i := 1; i <= 2; i++ {
		rep := r.Run(context.Background(), Options{})
		if rep.Result != ResultFailed || fault.ClassOf(rep.Err) != fault.Transient {
			t.Fatalf("got %q (%v), want a transient failure", rep.Result, rep.Err)
		}
		st, _ := r.Store.Load()
		if st.FetchFailures != i || st.Applied != nil {
			t.Errorf("run %d: got %d failures, applied %+v", i, st.FetchFailures, st.Applied)
		}
	}
	if hist, _ := r.History.List(); len(hist) != 0 || app.applies != 0 {
		t.Errorf("got %d history entries and %d applies, want none", len(hist), app.applies)
	}
}

func TestMissingHostDirIsRecordedAndNotRetried(t *testing.T) {
	src := &fakeSource{art: art("c1", ""), fetchErr: fault.Stallingf("host directory hosts/h not found")}
	r := newRec(t, src, &fakeApplier{})
	rep := r.Run(context.Background(), Options{})
	if rep.Result != ResultFailed || rep.Attempt == nil || rep.Attempt.Phase != "fetch" {
		t.Fatalf("got %+v, want a failed fetch attempt", rep)
	}
	r.Run(context.Background(), Options{})
	if src.fetches != 1 {
		t.Errorf("got %d fetches, want 1: a bad revision is not fetched again", src.fetches)
	}
}

func TestInterruptedAttemptIsResumedOnNextRun(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	app := &fakeApplier{res: activate.Result{Outcome: activate.Interrupted, Err: context.Canceled, Toplevel: "/nix/store/t"}, journal: true}
	r := newRec(t, src, app)
	if rep := r.Run(context.Background(), Options{}); rep.Result != ResultInterrupted {
		t.Fatalf("got %q, want interrupted", rep.Result)
	}
	st, _ := r.Store.Load()
	if st.InProgress == nil || st.InProgress.Progress.Phase != activate.PhaseTest {
		t.Fatalf("journal lost: %+v", st.InProgress)
	}
	app.resume = activate.Result{Outcome: activate.Applied, Toplevel: "/nix/store/t"}
	r.Run(context.Background(), Options{})
	st, _ = r.Store.Load()
	if app.resumes != 1 || st.InProgress != nil || st.Applied == nil || st.Applied.Digest != "sha256:d1" {
		t.Errorf("got %d resumes, state %+v; want the attempt finished and applied", app.resumes, st)
	}
	if app.applies != 1 {
		t.Errorf("got %d applies, want 1: the resumed revision is settled", app.applies)
	}
}

func TestUnknownOutcomeTwiceRejectsTheConfiguration(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	unknown := activate.Result{Outcome: activate.Reverted, Err: fault.AsTransient(activate.ErrUnknownOutcome)}
	app := &fakeApplier{res: unknown}
	r := newRec(t, src, app)
	r.Run(context.Background(), Options{})
	if st, _ := r.Store.Load(); st.Rejected != nil {
		t.Fatalf("rejected after one unknown outcome: %+v", st.Rejected)
	}
	r.Run(context.Background(), Options{})
	st, _ := r.Store.Load()
	if st.Rejected == nil || app.applies != 2 {
		t.Errorf("got rejection %+v after %d applies, want rejected after 2", st.Rejected, app.applies)
	}
}

func TestCorruptStateIsAnErrorNamingTheFile(t *testing.T) {
	r := newRec(t, &fakeSource{}, &fakeApplier{})
	if err := writeFile(r.Store.Path, "{not json"); err != nil {
		t.Fatal(err)
	}
	rep := r.Run(context.Background(), Options{})
	if rep.Err == nil || !errors.Is(rep.Err, rep.Err) || !contains(rep.Err.Error(), r.Store.Path) {
		t.Errorf("got %v, want an error naming %s", rep.Err, r.Store.Path)
	}
}

func TestHistoryKeepsTheNewest(t *testing.T) {
	h := History{Dir: t.TempDir(), Keep: 3}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, newID(base.Add(time.Duration(i)*time.Minute), i))
		if err := h.Add(Attempt{ID: ids[i], Result: "applied"}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := h.List()
	if len(got) != 3 || got[0].ID != ids[4] {
		t.Errorf("got %d attempts starting %q, want 3 starting with the newest", len(got), got[0].ID)
	}
}

// TestStagedConfigurationsArePruned: after an attempt is applied,
// reverted or interrupted, only an interrupted attempt's staged
// configuration is left: a finished one's files/ (secrets, in plaintext)
// is gone.
func TestStagedConfigurationsArePruned(t *testing.T) {
	d1 := "sha256:" + strings.Repeat("1", 64)
	for _, c := range []struct {
		name string
		res  activate.Result
		keep []string
	}{
		{"applied", applied, nil},
		{"reverted", activate.Result{Outcome: activate.Reverted, Phase: activate.PhaseVerify, Err: fault.Stallingf("units failed")}, nil},
		{"interrupted", activate.Result{Outcome: activate.Interrupted, Err: context.Canceled}, []string{strings.Repeat("1", 64)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRec(t, &fakeSource{art: art("c1", d1)}, &fakeApplier{res: c.res, journal: true})
			r.StageDir = t.TempDir()
			for _, d := range []string{"1", "2", "3"} {
				secret := filepath.Join(r.StageDir, strings.Repeat(d, 64), "files/etc/db.password")
				if err := os.MkdirAll(filepath.Dir(secret), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(secret, []byte("hunter2\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r.Run(context.Background(), Options{})
			ents, _ := os.ReadDir(r.StageDir)
			var got []string
			for _, e := range ents {
				got = append(got, e.Name())
			}
			if strings.Join(got, ",") != strings.Join(c.keep, ",") {
				t.Errorf("staged after the attempt: %v, want %v", got, c.keep)
			}
		})
	}
}

func TestResumeOnlyFinishesAnInterruptedAttemptAndPollsNothing(t *testing.T) {
	src := &fakeSource{art: art("c1", "sha256:d1")}
	app := &fakeApplier{res: activate.Result{Outcome: activate.Interrupted, Err: context.Canceled}, journal: true}
	r := newRec(t, src, app)
	r.Run(context.Background(), Options{})
	polls := src.polls
	app.resume = applied
	if rep := r.Run(context.Background(), Options{ResumeOnly: true}); rep.Result != ResultApplied {
		t.Errorf("got %q, want the interrupted attempt applied", rep.Result)
	}
	if rep := r.Run(context.Background(), Options{ResumeOnly: true}); rep.Result != ResultUnchanged {
		t.Errorf("with nothing to resume: got %q, want unchanged", rep.Result)
	}
	if src.polls != polls || app.resumes != 1 {
		t.Errorf("got %d more polls and %d resumes, want none and 1", src.polls-polls, app.resumes)
	}
}

// TestAttemptIDsDoNotClashAcrossProcesses: the agent and `berth run` are
// two processes, each counting its attempts from one; starting attempts
// in the same second into one history they still get an id each, with a
// log and a record of their own.
func TestAttemptIDsDoNotClashAcrossProcesses(t *testing.T) {
	hist := History{Dir: filepath.Join(t.TempDir(), "history"), Keep: 10}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, c := range []string{"c1", "c2"} {
		r := newRec(t, &fakeSource{art: art(c, "sha256:d"+c)}, &fakeApplier{res: applied})
		r.History, r.Now = hist, func() time.Time { return at }
		if rep := r.Run(context.Background(), Options{}); rep.Err != nil {
			t.Fatalf("process %d: %v", i+1, rep.Err)
		}
	}
	got, _ := hist.List()
	if len(got) != 2 || got[0].ID == got[1].ID {
		t.Fatalf("history holds %d attempts (%+v), want two with distinct ids", len(got), got)
	}
	for _, a := range got {
		if _, err := os.Stat(hist.LogPath(a.ID)); err != nil {
			t.Errorf("attempt %s has no log of its own: %v", a.ID, err)
		}
	}
}

// TestCreateLogRefusesATakenID: the exclusive create is what makes an id
// the attempt's own.
func TestCreateLogRefusesATakenID(t *testing.T) {
	h := History{Dir: t.TempDir()}
	f, err := h.CreateLog("x")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := h.CreateLog("x"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second create of the same id: got %v, want fs.ErrExist", err)
	}
}
