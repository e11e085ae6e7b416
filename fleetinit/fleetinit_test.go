package fleetinit

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// tree lists every path under dir with a mark for its kind.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			rel += " -> " + target
		case d.IsDir():
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestInitLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fleet")
	if err := Init(Options{Dir: dir, Hosts: []string{"alpha", "7beta"}}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(tree(t, dir), "\n")
	for _, want := range []string{"README.md", "modules/common/default.nix", "modules/common/berth.nix",
		"hosts/alpha/flake.nix", "hosts/alpha/configuration.nix", "hosts/alpha/hardware-configuration.nix",
		"hosts/alpha/common -> ../../modules/common", "hosts/alpha/files/etc/fleet/README", "hosts/alpha/files.yaml",
		"hosts/alpha/berth-checks.yaml", "hosts/7beta/common -> ../../modules/common"} {
		if !strings.Contains("\n"+got+"\n", "\n"+want+"\n") {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	flake, _ := os.ReadFile(filepath.Join(dir, "hosts/alpha/flake.nix"))
	for _, want := range []string{`"github:NixOS/nixpkgs/` + NixOSRelease + `"`, "nixosConfigurations.alpha ="} {
		if !strings.Contains(string(flake), want) {
			t.Errorf("hosts/alpha/flake.nix lacks %s:\n%s", want, flake)
		}
	}
	if flake, _ := os.ReadFile(filepath.Join(dir, "hosts/7beta/flake.nix")); !strings.Contains(string(flake), `nixosConfigurations."7beta" =`) {
		t.Errorf("a host name starting with a digit must be quoted:\n%s", flake)
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "hosts/alpha/configuration.nix"))
	if !strings.Contains(string(conf), `networking.hostName = "alpha";`) {
		t.Errorf("configuration.nix does not set the host name:\n%s", conf)
	}
	hw, _ := os.ReadFile(filepath.Join(dir, "hosts/alpha/hardware-configuration.nix"))
	if !strings.Contains(string(hw), "nixos-generate-config --show-hardware-config > hosts/alpha/hardware-configuration.nix") {
		t.Errorf("the placeholder does not say how to generate it:\n%s", hw)
	}
}

// TestInitNeverOverwrites: a path that exists stops init before it
// writes anything, and the error names it.
func TestInitNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	clash := filepath.Join(dir, "hosts/beta/files.yaml")
	if err := os.MkdirAll(filepath.Dir(clash), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(clash, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	err := Init(Options{Dir: dir, Hosts: []string{"alpha", "beta"}})
	if err == nil || !strings.Contains(err.Error(), clash) {
		t.Fatalf("got %v, want an error naming %s", err, clash)
	}
	if after := tree(t, dir); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("init wrote although it refused:\n%s", strings.Join(after, "\n"))
	}
	if data, _ := os.ReadFile(clash); string(data) != "mine\n" {
		t.Errorf("%s was changed to %q", clash, data)
	}
}

func TestAddHost(t *testing.T) {
	dir := t.TempDir()
	if err := Init(Options{Dir: dir, Hosts: []string{"alpha"}}); err != nil {
		t.Fatal(err)
	}
	if err := AddHost(dir, "beta"); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(dir, "hosts/beta/common")); err != nil || target != "../../modules/common" {
		t.Errorf("hosts/beta/common: %q, %v", target, err)
	}
	tests := []struct {
		name, dir, host, want string
	}{
		{"existing host", dir, "alpha", filepath.Join(dir, "hosts/alpha/flake.nix") + " exists"},
		{"not a fleet", t.TempDir(), "gamma", "is not a fleet repository"},
		{"bad name", dir, "../x", `host "../x": not a valid host name`},
		{"empty name", dir, "", `host "": not a valid host name`},
	}
	for _, tt := range tests {
		if err := AddHost(tt.dir, tt.host); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestInitRefusesBadHostLists(t *testing.T) {
	tests := []struct {
		hosts []string
		want  string
	}{
		{nil, "name at least one host"},
		{[]string{"a", "a"}, `host "a" named twice`},
		{[]string{"a", "b.example"}, `host "b.example": not a valid host name`},
		{[]string{"-a"}, `host "-a": not a valid host name`},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		err := Init(Options{Dir: dir, Hosts: tt.hosts})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want %q", tt.hosts, err, tt.want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%v: wrote %d entries although it refused", tt.hosts, len(entries))
		}
	}
}
