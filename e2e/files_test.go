package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/e2e/fixture"
)

// Secret contents are unique markers, so that finding one anywhere (the
// Nix store, the history, the journal) is certain to be a leak.
const (
	secretV1 = "berth-e2e-secret-v1-7f3a9c"
	secretV2 = "berth-e2e-secret-v2-51be0d"
	secretV3 = "berth-e2e-secret-v3-c40e12"
)

// filesMeta declares /etc/app secret and gives its token to daemon:adm.
const filesMeta = `/etc/app:
  secret: true
/etc/app/token:
  owner: daemon
  group: adm
  mode: "0640"
`

// putFiles replaces alpha's files/ tree and files.yaml in the work tree.
func putFiles(f *fleetHost, tree map[string]string, meta string) {
	dir := fixture.HostDir("alpha")
	f.repo.Remove(dir + "/files")
	f.repo.Remove(dir + "/files.yaml")
	for p, content := range tree {
		f.repo.WriteFile(path.Join(dir, "files", p), content)
	}
	if meta != "" {
		f.repo.WriteFile(dir+"/files.yaml", meta)
	}
}

// describe is "owner:group mode content" of p in the host, or "absent".
func (f *fleetHost) describe(p string) string {
	out, err := f.h.Exec(context.Background(), "sh", "-c", `test -e "$1" || { echo absent; exit; }; printf '%s ' "$(stat -c '%U:%G %a' "$1")"; test -d "$1" && echo dir || cat "$1"`, "sh", p)
	if err != nil {
		f.t.Fatalf("describe %s: %v\n%s", p, err, out)
	}
	return strings.TrimSpace(string(out))
}

// expectFilesRefused pushes the work tree and checks that berth run
// refuses it in phase files with an error containing want, leaving the
// files as in good.
func (f *fleetHost) expectFilesRefused(msg, want string, good map[string]string) {
	f.t.Helper()
	f.push(alphaV1(), msg)
	f.run(1)
	if st := f.status(); st.State.Last == nil || st.State.Last.Phase != "files" || !strings.Contains(st.State.Last.Error, want) {
		f.t.Errorf("status last %+v, want phase files and %q", st.State.Last, want)
	}
	f.expectFiles(good)
}

func (f *fleetHost) expectFiles(want map[string]string) {
	f.t.Helper()
	for p, w := range want {
		if got := f.describe(p); got != w {
			f.t.Errorf("%s: got %q, want %q", p, got, w)
		}
	}
}

// TestFilesTree deploys a host's verbatim files tree through berth run in
// a real systemd test host: install with owners and modes from
// files.yaml, a files-only update with a removal, refusals that leave the
// system untouched, a revert that restores the previous contents, and no
// secret content in the Nix store, the history or the journal.
func TestFilesTree(t *testing.T) {
	t.Parallel()
	reports := collectReports(t)
	f := newFleetHost(t, alphaV1(), "report:\n  http_url: "+reports.URL+"/reports/{hostname}\n  token_file: /etc/berth/report-token\n")
	f.write("/etc/berth/report-token", reportToken+"\n", 0o600)
	v1 := map[string]string{"etc/app/token": secretV1 + "\n", "etc/app/old.conf": "old\n", "etc/motd.d/berth": "managed by berth\n"}
	t.Run("install", func(t *testing.T) {
		f.t = t
		putFiles(f, v1, filesMeta)
		f.push(alphaV1(), "alpha: files tree")
		f.run(0)
		f.expectFiles(map[string]string{
			"/etc/app":          "root:root 700 dir",
			"/etc/app/token":    "daemon:adm 640 " + secretV1,
			"/etc/app/old.conf": "root:root 600 old",
			"/etc/motd.d/berth": "root:root 644 managed by berth",
		})
		if got := fleetStates(t, reports.dir, f); got["alpha"] != "up-to-date" || got["beta"] != "no-report" {
			t.Errorf("fleet status %v, want alpha up-to-date and beta no-report", got)
		}
	})
	v2 := map[string]string{"etc/app/token": secretV2 + "\n", "etc/app/new.conf": "new\n", "etc/motd.d/berth": "managed by berth\n"}
	t.Run("files-only update and removal", func(t *testing.T) {
		f.t = t
		before := f.system()
		putFiles(f, v2, filesMeta)
		f.push(alphaV1(), "alpha: rotate the token, replace old.conf")
		f.run(0)
		if s := f.system(); s != before {
			t.Errorf("system changed for a files-only commit: %+v, want %+v", s, before)
		}
		f.expectFiles(map[string]string{
			"/etc/app/token":    "daemon:adm 640 " + secretV2,
			"/etc/app/old.conf": "absent",
			"/etc/app/new.conf": "root:root 600 new",
		})
	})
	good := map[string]string{
		"/etc/app/token":    "daemon:adm 640 " + secretV2,
		"/etc/app/old.conf": "absent",
		"/etc/app/new.conf": "root:root 600 new",
		"/etc/foreign":      "root:root 644 the admin's",
	}
	f.write("/etc/foreign", "the admin's\n", 0o644)
	refusals := []struct {
		name string
		tree map[string]string
		meta string
		want string
	}{
		{"foreign file", map[string]string{"etc/foreign": "berth's\n"}, filesMeta, "files/etc/foreign: a file exists there that berth did not install"},
		{"unknown user", nil, filesMeta + "/etc/app/new.conf:\n  owner: no-such-user\n", `user "no-such-user"`},
		{"under /nix", map[string]string{"nix/var/x": "x\n"}, filesMeta, "berth never installs under /nix"},
	}
	for _, c := range refusals {
		t.Run("refused: "+c.name, func(t *testing.T) {
			f.t = t
			tree := map[string]string{"etc/app/token": secretV3 + "\n"}
			for p, content := range v2 {
				if p != "etc/app/token" {
					tree[p] = content
				}
			}
			for p, content := range c.tree {
				tree[p] = content
			}
			putFiles(f, tree, c.meta)
			f.expectFilesRefused("alpha: bad files tree ("+c.name+")", c.want, good)
		})
	}
	t.Run("revert restores the previous files", func(t *testing.T) {
		f.t = t
		before := f.system()
		bad := alphaV1()
		bad.Units["broken.service"] = fixture.FailingService("broken")
		putFiles(f, map[string]string{"etc/app/token": secretV3 + "\n", "etc/app/old.conf": "back\n", "etc/fresh": "fresh\n"}, filesMeta)
		f.push(bad, "alpha: new token with a broken unit")
		f.run(4)
		if s := f.system(); s != before {
			t.Fatalf("after revert got %+v, want %+v", s, before)
		}
		want := map[string]string{"/etc/fresh": "absent", "/etc/motd.d/berth": "root:root 644 managed by berth"}
		for p, w := range good {
			want[p] = w
		}
		f.expectFiles(want)
		if got := fleetStates(t, reports.dir, f); got["alpha"] != "reverted" {
			t.Errorf("fleet status %v, want alpha reverted", got)
		}
	})
	t.Run("no secret outside the installed files", func(t *testing.T) {
		f.t = t
		for _, s := range []string{secretV1, secretV2, secretV3} {
			out := f.h.Run(t, "sh", "-c", `grep -rlF "$1" /nix/store /var/lib/berth/history /var/lib/berth/state.json /var/lib/berth/report.json; journalctl --no-pager | grep -cF "$1"; true`, "sh", s)
			if lines := strings.Fields(out); len(lines) != 1 || lines[0] != "0" {
				t.Errorf("secret %s found: %q", s, out)
			}
			if data, _ := os.ReadFile(filepath.Join(reports.dir, "alpha.json")); strings.Contains(string(data), s) {
				t.Errorf("secret %s in the posted report", s)
			}
		}
		if out := f.h.Run(t, "sh", "-c", "ls -A /var/lib/berth/files/backup"); strings.TrimSpace(out) != "" {
			t.Errorf("backups left after the attempts: %q", out)
		}
	})
}

const reportToken = "alpha-report-token"

// reportSink is an HTTP endpoint that accepts reports POSTed with the
// right bearer token and saves each as <dir>/<host>.json, the layout
// `berth fleet status --reports` reads.
type reportSink struct {
	*httptest.Server
	dir string
}

func collectReports(t *testing.T) *reportSink {
	s := &reportSink{dir: t.TempDir()}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.TrimPrefix(r.URL.Path, "/reports/")
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+reportToken || host != "alpha" {
			http.Error(w, "refused", http.StatusForbidden)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err := os.WriteFile(filepath.Join(s.dir, host+".json"), body, 0o600); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// fleetStates runs `berth fleet status --json` on this machine over the
// posted reports and the fleet repository, and returns each host's state.
func fleetStates(t *testing.T, reports string, f *fleetHost) map[string]string {
	t.Helper()
	out, err := exec.Command(berthBinary(t), "fleet", "status", "--reports", reports, "--repo", f.repo.WorkDir(), "--json").Output()
	if err != nil {
		t.Fatalf("berth fleet status: %v\n%s", err, out)
	}
	var v struct {
		Hosts []struct{ Host, State string }
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("berth fleet status: %v\n%s", err, out)
	}
	states := map[string]string{}
	for _, h := range v.Hosts {
		states[h.Host] = h.State
	}
	return states
}
