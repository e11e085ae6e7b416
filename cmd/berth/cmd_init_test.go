package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/activate/files"
	"github.com/berth-nix/berth/fleetinit"
	"github.com/berth-nix/berth/health"
	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/source"
	gitsource "github.com/berth-nix/berth/source/git"
)

var initHosts = []string{"laptop1", "laptop2", "laptop3"}

// TestInitFleetDeploysFromGitAndSFTP writes a three-host fleet with
// berth init, commits it as written and serves it from a real git server:
// each host's flake refuses to evaluate until its hardware configuration
// is generated, with a message saying how. With the hardware
// configuration added (as nixos-generate-config would write it), every
// host's directory, fetched by the git source, builds with real
// nix build against stand-ins for nixpkgs and berth; the configuration
// the berth module renders passes berth check-config; files.yaml, the
// files tree and berth-checks.yaml are accepted by the code that reads
// them on the host. berth publish then puts the same fleet on a real
// SFTP server, and each host's SFTP artifact has the git artifact's digest.
func TestInitFleetDeploysFromGitAndSFTP(t *testing.T) {
	requireInitTools(t)
	repo := testserver.NewRepo(t)
	srv := testserver.StartGitHTTP(t, repo, "tok")
	args := []string{"init", repo.WorkDir(), "--url", srv.URL()}
	for _, h := range initHosts {
		args = append(args, "--host", h)
	}
	if out, code := run(t, args...); code != exitOK {
		t.Fatalf("berth init: exit %d\n%s", code, out)
	}
	parseNixFiles(t, repo.WorkDir())
	repo.Commit("fleet: berth init")
	repo.Push()
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	a := fetchGit(t, srv.URL(), token, "laptop1")
	if _, err := buildStandIn(t, a); err == nil || !strings.Contains(err.Error(), "nixos-generate-config --show-hardware-config on laptop1") {
		t.Fatalf("building laptop1 with the placeholder: got %v, want the placeholder's message", err)
	}

	hw, err := os.ReadFile("testdata/standin/hardware-configuration.nix")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range initHosts {
		repo.WriteFile(fleetinit.HostDir(h)+"/hardware-configuration.nix", string(hw))
	}
	repo.Commit("hardware configurations")
	repo.Push()
	digests := map[string]string{}
	for _, h := range initHosts {
		a := fetchGit(t, srv.URL(), token, h)
		digests[h] = a.Digest
		top, err := buildStandIn(t, a)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		checkRendered(t, h, top, srv.URL())
		checkHostFiles(t, h, a)
	}
	checkPublished(t, repo.WorkDir(), digests)
}

func requireInitTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"nix", "nix-instantiate", "git", "sshd"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "needs "+tool+" (apt-get install nix-bin git openssh-server)")
		}
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "needs root: nix builds go to the single-user /nix store, and the SFTP server chroots")
	}
}

// run runs berth in-process and returns its output and exit code.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	code := execute(context.Background(), args, &out, &out)
	return out.String(), code
}

// parseNixFiles parses every .nix file under dir with nix-instantiate.
func parseNixFiles(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && d.Name() == ".git" {
			return err
		}
		if strings.HasSuffix(p, ".nix") && d.Type().IsRegular() {
			n++
			if out, err := exec.Command("nix-instantiate", "--parse", p).CombinedOutput(); err != nil {
				t.Errorf("%s does not parse: %v\n%s", p, err, out)
			}
		}
		return nil
	})
	if err != nil || n != 2+3*len(initHosts) {
		t.Errorf("parsed %d .nix files (%v), want %d", n, err, 2+3*len(initHosts))
	}
}

// fetchGit fetches host's directory with the git source, as its agent would.
func fetchGit(t *testing.T, url, token, host string) source.Artifact {
	t.Helper()
	dir := t.TempDir()
	src, err := gitsource.New(gitsource.Config{URL: url, TokenFile: token, Host: host, HostDir: fleetinit.HostDir(host),
		StateDir: filepath.Join(dir, "state"), StageDir: filepath.Join(dir, "stage"), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	a, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatalf("git source, %s: %v", host, err)
	}
	return a
}

// buildStandIn builds the artifact's toplevel with nix build, nixpkgs and
// berth replaced by the stand-ins in testdata/standin.
func buildStandIn(t *testing.T, a source.Artifact) (string, error) {
	t.Helper()
	standin, err := filepath.Abs("testdata/standin")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nix", "build", "--json", "--no-link", "--no-write-lock-file",
		"--extra-experimental-features", "nix-command flakes", "--option", "substituters", "",
		"--override-input", "nixpkgs", "path:"+standin+"/nixpkgs", "--override-input", "berth", "path:"+standin+"/berth",
		"path:"+a.FlakeDir()+"#nixosConfigurations."+a.Host+".config.system.build.toplevel")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("nix build %s: %w\n%s", a.Host, err, stderr.String())
	}
	var built []struct {
		Outputs map[string]string `json:"outputs"`
	}
	if err := json.Unmarshal(out, &built); err != nil || len(built) != 1 {
		t.Fatalf("nix build printed %q: %v", out, err)
	}
	return built[0].Outputs["out"], nil
}

// checkRendered runs berth check-config on the configuration the host's
// modules give the berth module, and checks the host-specific settings.
func checkRendered(t *testing.T, host, top, url string) {
	t.Helper()
	out, code := run(t, "--config", filepath.Join(top, "berth-config.json"), "check-config", "--json")
	if code != exitOK {
		t.Fatalf("%s: berth check-config on the rendered settings: exit %d\n%s", host, code, out)
	}
	for _, want := range []string{`"hostname": "` + host + `"`, `"url": "` + url + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("%s: check-config --json lacks %s:\n%s", host, want, out)
		}
	}
	var cfg struct {
		Networking struct{ HostName string }     `json:"networking"`
		System     struct{ StateVersion string } `json:"system"`
	}
	data, err := os.ReadFile(filepath.Join(top, "config.json"))
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	if err != nil || cfg.Networking.HostName != host || cfg.System.StateVersion != fleetinit.StateVersion() {
		t.Errorf("%s: system configuration %+v (%v), want hostName %s, stateVersion %s", host, cfg, err, host, fleetinit.StateVersion())
	}
}

// checkHostFiles plans the artifact's files tree onto an empty root as
// the agent would, and parses its berth-checks.yaml.
func checkHostFiles(t *testing.T, host string, a source.Artifact) {
	t.Helper()
	in := &files.Installer{Root: t.TempDir(), StateDir: t.TempDir()}
	plan, err := in.Plan(a.FilesDir(), filepath.Join(a.FlakeDir(), files.MetaFile))
	if err != nil || plan.Changes() == 0 {
		t.Errorf("%s: files plan %v, %v; want the example file installed", host, plan, err)
	}
	data, err := os.ReadFile(filepath.Join(a.FlakeDir(), health.HostChecksFile))
	if err != nil {
		t.Fatal(err)
	}
	if specs, err := health.ParseFile(health.HostChecksFile, data); err != nil || len(specs) != 1 {
		t.Errorf("%s: berth-checks.yaml: %v, %v; want one check", host, specs, err)
	}
}

// checkPublished publishes the fleet into a real SFTP server's chroots
// with berth publish and fetches each host with the SFTP source.
func checkPublished(t *testing.T, fleet string, digests map[string]string) {
	t.Helper()
	var users []string
	for _, h := range initHosts {
		users = append(users, "berth-"+h)
	}
	sftp := testserver.StartSFTP(t, users...)
	chroots := t.TempDir()
	for _, h := range initHosts {
		if err := os.Symlink(sftp.ChrootDir("berth-"+h), filepath.Join(chroots, h)); err != nil {
			t.Fatal(err)
		}
	}
	if out, code := run(t, "publish", "--fleet", fleet, "--chroots", chroots); code != exitOK {
		t.Fatalf("berth publish: exit %d\n%s", code, out)
	}
	for _, h := range initHosts {
		a := fetchSFTP(t, sftp, h)
		if a.Digest != digests[h] || a.Host != h {
			t.Errorf("%s over SFTP: host %s digest %s, want the git artifact's %s", h, a.Host, a.Digest, digests[h])
		}
		if _, err := os.Stat(filepath.Join(a.FlakeDir(), fleetinit.LinkName, "default.nix")); err != nil {
			t.Errorf("%s over SFTP: the shared modules were not resolved into the host's directory: %v", h, err)
		}
	}
}

// TestInitCommand: the flags of berth init, and its exit codes.
func TestInitCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fleet")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no directory", []string{"init", "--host", "a"}, exitUsage, "name the directory"},
		{"both flags", []string{"init", dir, "--host", "a", "--add-host", "b"}, exitUsage, "do not go together"},
		{"init", []string{"init", dir, "--host", "a", "--branch", "prod"}, exitOK, "wrote hosts/a"},
		{"again", []string{"init", dir, "--host", "a"}, exitFailed, filepath.Join(dir, "README.md") + " exists"},
		{"add a host", []string{"init", dir, "--add-host", "b"}, exitOK, "wrote hosts/b"},
		{"add it again", []string{"init", dir, "--add-host", "b"}, exitFailed, filepath.Join(dir, "hosts/b/flake.nix") + " exists"},
	}
	for _, tt := range tests {
		out, code := run(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("%s: got exit %d, %q; want exit %d and %q", tt.name, code, out, tt.code, tt.want)
		}
	}
	berth, err := os.ReadFile(filepath.Join(dir, fleetinit.ModulesDir, "berth.nix"))
	if err != nil || !strings.Contains(string(berth), `branch = "prod";`) {
		t.Errorf("modules/common/berth.nix does not follow --branch prod: %v\n%s", err, berth)
	}
}
