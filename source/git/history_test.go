package gitsource

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/internal/testserver"
)

// history is a remote with a fetched Source, for Descends tests.
type history struct {
	repo *testserver.Repo
	src  *Source
}

func newHistory(t *testing.T) *history {
	repo := testserver.NewRepo(t)
	h := &history{repo: repo, src: newSource(t, baseConfig(t, "file://"+repo.BareDir()))}
	h.commit("hosts/laptop1/flake.nix", "base")
	return h
}

// commit writes one file, commits and pushes, returning the hash.
func (h *history) commit(rel, content string) string {
	h.repo.WriteFile(rel, content)
	c := h.repo.Commit(content)
	h.repo.Push()
	return c
}

// commits makes n commits and returns the last one's hash.
func (h *history) commits(n int) string {
	var c string
	for i := range n {
		c = h.commit("hosts/laptop1/n", fmt.Sprint(i))
	}
	return c
}

func (h *history) fetch(t *testing.T) string {
	t.Helper()
	a, err := h.src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return a.Commit
}

func (h *history) descends(t *testing.T, ancestor, commit string, want bool) {
	t.Helper()
	got, err := h.src.Descends(context.Background(), ancestor, commit)
	if err != nil || got != want {
		t.Errorf("Descends(%.7s, %.7s): got %v, %v, want %v", ancestor, commit, got, err, want)
	}
}

func TestDescendsLinear(t *testing.T) {
	h := newHistory(t)
	old := h.fetch(t)
	h.descends(t, old, old, true)
	// Many commits between the two heads: the shallow repository must be
	// deepened past several of deepenSteps' first step.
	h.commits(70)
	now := h.fetch(t)
	h.descends(t, old, now, true)
	h.descends(t, now, old, false)
}

func TestDescendsAfterForcePush(t *testing.T) {
	h := newHistory(t)
	h.commits(3)
	applied := h.fetch(t)
	h.repo.ResetHard("HEAD~2")
	h.repo.WriteFile("hosts/laptop1/n", "rewritten")
	h.repo.Commit("rewritten")
	h.repo.ForcePush()
	rewritten := h.fetch(t)
	h.descends(t, applied, rewritten, false)
	// The common ancestor is still recognised.
	base := h.repo.Head()
	h.descends(t, base, rewritten, true)
}

func TestDescendsUnrelatedHistory(t *testing.T) {
	h := newHistory(t)
	applied := h.fetch(t)
	wt := h.repo.WorkDir()
	for _, args := range [][]string{
		{"checkout", "--quiet", "--orphan", "fresh"},
		{"commit", "--quiet", "-m", "unrelated"},
		{"branch", "--quiet", "-M", "main"},
	} {
		if _, err := testserver.Git(wt, args...); err != nil {
			t.Fatal(err)
		}
	}
	h.repo.ForcePush()
	unrelated := h.fetch(t)
	h.descends(t, applied, unrelated, false)
}

// TestDescendsFreshState answers from a state directory that never saw
// the ancestor: only the full history may prove it absent.
func TestDescendsFreshState(t *testing.T) {
	h := newHistory(t)
	first := h.repo.Head()
	h.commits(5)
	head := h.fetch(t)
	h.descends(t, first, head, true)
	h.descends(t, "0123456789012345678901234567890123456789", head, false)
	r, err := git.PlainOpen(h.src.cfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if shallow, _ := r.Storer.Shallow(); len(shallow) == 0 {
		t.Errorf("got no shallow commits, want the first fetch to have been shallow")
	}
}

func TestDescendsBadHash(t *testing.T) {
	h := newHistory(t)
	_, err := h.src.Descends(context.Background(), "main", h.repo.Head())
	if fault.ClassOf(err) != fault.Stalling {
		t.Errorf("got %v, want a stalling error", err)
	}
}

// TestFetchRevertBeyondShallowEdge reverts the host to content older than
// the first (shallow) fetch, which the shallow repository never received.
func TestFetchRevertBeyondShallowEdge(t *testing.T) {
	h := newHistory(t)
	old := h.commit("hosts/laptop1/files/etc/motd", "old motd")
	h.commit("hosts/laptop1/files/etc/motd", "new motd")
	h.fetch(t)
	if _, err := testserver.Git(h.repo.WorkDir(), "checkout", "--quiet", old, "--", "hosts"); err != nil {
		t.Fatal(err)
	}
	h.repo.Commit("revert")
	h.repo.Push()
	a, err := h.src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(a.FilesDir(), "etc/motd"))
	if string(got) != "old motd" {
		t.Errorf("got %q, %v, want %q", got, err, "old motd")
	}
	h.descends(t, old, a.Commit, true)
}

// TestFetchRepairsIncompleteRepository loses one blob of the host
// directory from the local repository: Fetch must start over rather than
// fail forever.
func TestFetchRepairsIncompleteRepository(t *testing.T) {
	h := newHistory(t)
	h.commit("hosts/laptop1/files/etc/motd", "one")
	h.fetch(t)
	state := h.src.cfg.StateDir
	packs, _ := filepath.Glob(filepath.Join(state, "objects/pack/*.pack"))
	for _, p := range packs {
		// unpack-objects skips objects the repository has: move it out.
		moved := filepath.Join(t.TempDir(), "p.pack")
		os.Rename(p, moved)
		os.Remove(strings.TrimSuffix(p, ".pack") + ".idx")
		gitCLI(t, state, "unpack-objects", "-q", "<"+moved)
	}
	blob := gitCLI(t, h.repo.WorkDir(), "rev-parse", "HEAD:hosts/laptop1/files/etc/motd")
	if err := os.Remove(filepath.Join(state, "objects", blob[:2], blob[2:])); err != nil {
		t.Fatal(err)
	}
	a, err := h.src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(a.FilesDir(), "etc/motd"))
	if string(got) != "one" {
		t.Errorf("got %q, %v, want %q", got, err, "one")
	}
}

// gitCLI runs the git CLI in dir through a shell (for redirections).
func gitCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", "cd \"$0\" && git "+strings.Join(args, " "), dir).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestRefusedHistoryIsDiscarded: after a force-push is refused (Descends
// answers false), the next Fetch starts from an empty local repository,
// so the refused commits do not stay on disk.
func TestRefusedHistoryIsDiscarded(t *testing.T) {
	h := newHistory(t)
	base := h.repo.Head()
	h.commit("hosts/laptop1/n", "applied")
	applied := h.fetch(t)
	h.repo.ResetHard(base)
	h.repo.WriteFile("hosts/laptop1/n", "rewritten")
	h.repo.Commit("rewritten")
	h.repo.ForcePush()
	rewritten := h.fetch(t)
	h.descends(t, applied, rewritten, false)
	next := h.commit("hosts/laptop1/n", "after the refusal")
	if got := h.fetch(t); got != next {
		t.Fatalf("fetched %s, want %s", got, next)
	}
	for _, c := range []string{applied, rewritten} {
		if _, err := h.src.commitObject(c); err == nil {
			t.Errorf("commit %s is still in the local repository after the refusal", c)
		}
	}
}
