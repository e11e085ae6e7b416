package hostname

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{
		{"web1", true}, {"a", true}, {"A-b_c", true}, {strings.Repeat("a", 63), true},
		{"", false}, {"-a", false}, {"_a", false}, {"a.b", false}, {"a/b", false}, {"..", false},
		{strings.Repeat("a", 64), false}, {"é", false}, {"a b", false},
	} {
		if got := Valid(c.name); got != c.want {
			t.Errorf("Valid(%q): got %v, want %v", c.name, got, c.want)
		}
		if err := Check(c.name); (err == nil) != c.want || err != nil && !strings.Contains(err.Error(), c.name) {
			t.Errorf("Check(%q): got %v", c.name, err)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, c := range []struct{ tmpl, parent, rest string }{
		{"hosts/{hostname}", "hosts", ""},
		{"{hostname}", "", ""},
		{"fleet/hosts/{hostname}/nixos/", "fleet/hosts", "nixos"},
	} {
		p, r, err := Split(c.tmpl)
		if err != nil || p != c.parent || r != c.rest {
			t.Errorf("Split(%q): got %q %q %v, want %q %q", c.tmpl, p, r, err, c.parent, c.rest)
		}
	}
	for _, tmpl := range []string{"hosts", "hosts/x-{hostname}", "{hostname}/{hostname}", "hosts/{hostname}.d"} {
		if _, _, err := Split(tmpl); err == nil || !strings.Contains(err.Error(), tmpl) {
			t.Errorf("Split(%q): got %v, want an error naming it", tmpl, err)
		}
	}
}

func TestList(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"hosts/web1/nixos", "hosts/db/nixos", "hosts/empty", "hosts/-bad/nixos", "elsewhere/linked/nixos"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "hosts/file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../elsewhere/linked", filepath.Join(root, "hosts/linked")); err != nil {
		t.Fatal(err)
	}
	got, err := List(root, "hosts/{hostname}/nixos")
	if want := []string{"db", "linked", "web1"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("List with a suffix: got %v %v, want %v", got, err, want)
	}
	got, err = List(root, "hosts/{hostname}")
	if want := []string{"db", "empty", "linked", "web1"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("List: got %v %v, want %v", got, err, want)
	}
	if _, err := List(root, "nowhere/{hostname}"); err == nil {
		t.Error("List of a missing directory: no error")
	}
}

func TestSorted(t *testing.T) {
	got, err := Sorted([]string{"b", "a", "b"})
	if err != nil || !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("got %v %v", got, err)
	}
	if _, err := Sorted([]string{"a", "../etc"}); err == nil || !strings.Contains(err.Error(), "../etc") {
		t.Errorf("an invalid name: got %v, want an error naming it", err)
	}
}
