package testserver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Branch is the branch every Repo commits to and pushes.
const Branch = "main"

// Repo is a bare git repository (what servers export) plus a work clone
// where tests edit, commit and push. Helpers fail the test on error.
type Repo struct {
	t    testing.TB
	bare string
	work string
}

// NewRepo creates an empty bare repository named fleet.git and a work
// clone of it, both removed when the test ends. The first Commit creates
// branch main.
func NewRepo(t testing.TB) *Repo {
	t.Helper()
	root := t.TempDir()
	r := &Repo{t: t, bare: filepath.Join(root, "fleet.git"), work: filepath.Join(root, "work")}
	r.git(root, "init", "--quiet", "--bare", "--initial-branch="+Branch, r.bare)
	// Allow pushes over smart HTTP; http-backend refuses them otherwise
	// unless the request is authenticated by the web server.
	r.git(r.bare, "config", "http.receivepack", "true")
	r.git(root, "init", "--quiet", "--initial-branch="+Branch, r.work)
	r.git(r.work, "remote", "add", "origin", r.bare)
	return r
}

// BareDir is the bare repository's directory (usable as a file:// remote).
func (r *Repo) BareDir() string { return r.bare }

// WorkDir is the work clone's directory.
func (r *Repo) WorkDir() string { return r.work }

// WriteFile writes content to rel (slash-separated, relative to the work
// tree), creating parent directories.
func (r *Repo) WriteFile(rel, content string) {
	r.t.Helper()
	p := r.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatalf("testserver: %v", err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatalf("testserver: %v", err)
	}
}

// Symlink makes rel a symbolic link to target (stored verbatim, so a
// relative target is relative to rel's directory), replacing rel.
func (r *Repo) Symlink(rel, target string) {
	r.t.Helper()
	p := r.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatalf("testserver: %v", err)
	}
	if err := os.RemoveAll(p); err != nil {
		r.t.Fatalf("testserver: %v", err)
	}
	if err := os.Symlink(target, p); err != nil {
		r.t.Fatalf("testserver: %v", err)
	}
}

// Remove deletes rel, a file, link or whole directory, from the work tree.
func (r *Repo) Remove(rel string) {
	r.t.Helper()
	if err := os.RemoveAll(r.path(rel)); err != nil {
		r.t.Fatalf("testserver: %v", err)
	}
}

// Commit stages every change in the work tree and commits it (even when
// nothing changed), returning the new commit's hash. It does not push.
func (r *Repo) Commit(msg string) string {
	r.t.Helper()
	r.git(r.work, "add", "--all")
	r.git(r.work, "commit", "--quiet", "--allow-empty", "-m", msg)
	return r.Head()
}

// CommitAt is Commit with the author and committer dates set to at, as a
// signer who backdates (or whose clock is wrong) would make it.
func (r *Repo) CommitAt(msg string, at time.Time) string {
	r.t.Helper()
	r.git(r.work, "add", "--all")
	date := at.Format(time.RFC3339)
	cmd := exec.Command("git", "commit", "--quiet", "--allow-empty", "-m", msg)
	cmd.Dir, cmd.Env = r.work, append(gitEnv(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("testserver: git commit at %s: %v\n%s", date, err, out)
	}
	return r.Head()
}

// Push pushes main to the bare repository; it fails on a non-fast-forward.
func (r *Repo) Push() {
	r.t.Helper()
	r.git(r.work, "push", "--quiet", "origin", Branch+":"+Branch)
}

// ForcePush pushes main to the bare repository even when that rewrites
// its history (after ResetHard or an amended commit).
func (r *Repo) ForcePush() {
	r.t.Helper()
	r.git(r.work, "push", "--quiet", "--force", "origin", Branch+":"+Branch)
}

// ResetHard moves main in the work clone to rev (a hash or "HEAD~1"),
// discarding later commits and uncommitted changes.
func (r *Repo) ResetHard(rev string) {
	r.t.Helper()
	r.git(r.work, "reset", "--quiet", "--hard", rev)
}

// AddRefs creates n references refs/<kind>/<kind>-NNNN in the bare
// repository, all pointing at the remote head (kind "tags" or "heads"), so
// that tests can see what a remote with many references costs.
func (r *Repo) AddRefs(kind string, n int) {
	r.t.Helper()
	head := r.RemoteHead()
	var in strings.Builder
	for i := range n {
		fmt.Fprintf(&in, "create refs/%s/%s-%04d %s\n", kind, kind, i, head)
	}
	cmd := exec.Command("git", "update-ref", "--stdin")
	cmd.Dir, cmd.Env = r.bare, gitEnv()
	cmd.Stdin = strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("testserver: git update-ref: %v\n%s", err, out)
	}
}

// Head is the hash of the work clone's current commit.
func (r *Repo) Head() string {
	r.t.Helper()
	return r.git(r.work, "rev-parse", "HEAD")
}

// RemoteHead is the hash main points to in the bare repository, or ""
// before the first push.
func (r *Repo) RemoteHead() string {
	r.t.Helper()
	out, err := Git(r.bare, "rev-parse", "--verify", "--quiet", Branch)
	if err != nil {
		return ""
	}
	return out
}

func (r *Repo) path(rel string) string {
	if filepath.IsAbs(rel) || strings.HasPrefix(filepath.Clean(rel), "..") {
		r.t.Fatalf("testserver: path %q leaves the work tree", rel)
	}
	return filepath.Join(r.work, filepath.FromSlash(rel))
}

func (r *Repo) git(dir string, args ...string) string {
	r.t.Helper()
	out, err := Git(dir, args...)
	if err != nil {
		r.t.Fatalf("testserver: %v", err)
	}
	return out
}

// Git runs the git CLI in dir, isolated from the user's and system's git
// configuration, with a fixed committer identity. It returns trimmed
// standard output; the error includes standard error.
func Git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", &CmdError{Args: append([]string{"git"}, args...), Err: err, Stderr: stderr.String()}
	}
	return strings.TrimSpace(string(out)), nil
}

func gitEnv() []string {
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=berth test", "GIT_AUTHOR_EMAIL=test@berth.invalid",
		"GIT_COMMITTER_NAME=berth test", "GIT_COMMITTER_EMAIL=test@berth.invalid",
	)
}
