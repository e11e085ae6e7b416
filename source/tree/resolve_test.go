package tree

import (
	"errors"
	"strings"
	"testing"

	"github.com/berth-nix/berth/internal/fault"
)

func TestResolveAccepts(t *testing.T) {
	tests := []struct {
		name string
		repo layout
		want string
	}{
		{"plain files", layout{"h/a.nix": "a", "h/bin/run": "x:#!/bin/sh\n"},
			"a.nix 100644 1\nbin 040755 0\nbin/run 100755 10\n"},
		{"empty dir", layout{"h/empty": "/"}, "empty 040755 0\n"},
		{"link to shared file", layout{"h/m.nix": "->../shared/m.nix", "shared/m.nix": "mod"},
			"m.nix 100644 3\n"},
		{"link to shared dir", layout{"h/mods": "->../shared", "shared/a.nix": "a", "shared/sub/b": "bb"},
			"mods 040755 0\nmods/a.nix 100644 1\nmods/sub 040755 0\nmods/sub/b 100644 2\n"},
		{"chain of links", layout{"h/x": "->y", "h/y": "->../z", "z": "zz"},
			"x 100644 2\ny 100644 2\n"},
		{"link through linked dir", layout{"h/s": "->../shared", "h/f": "->s/sub/../a", "shared/a": "a", "shared/sub": "/"},
			"f 100644 1\ns 040755 0\ns/a 100644 1\ns/sub 040755 0\n"},
		{"same dir linked twice", layout{"h/a": "->../s", "h/b": "->../s", "s/f": "f"},
			"a 040755 0\na/f 100644 1\nb 040755 0\nb/f 100644 1\n"},
		{"byte order of paths", layout{"h/a/b": "1", "h/a-b": "2"},
			"a 040755 0\na-b 100644 1\na/b 100644 1\n"},
		{"host dir is a link", layout{"h": "->real", "real/f": "f"}, "f 100644 1\n"},
		{"files dir", layout{"h/files/etc/motd": "hi", "h/flake.nix": "{}"},
			"files 040755 0\nfiles/etc 040755 0\nfiles/etc/motd 100644 2\nflake.nix 100644 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := Resolve(dirFS(write(t, tt.repo)), "h", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := lines(tr); got != tt.want {
				t.Errorf("got\n%v, want\n%v", got, tt.want)
			}
		})
	}
}

func TestResolveRefuses(t *testing.T) {
	tests := []struct {
		name string
		repo layout
		lim  Limits
		want string // in the error message
	}{
		{"escaping link", layout{"h/x": "->../../etc/passwd"}, Limits{}, "symlink h/x -> ../../etc/passwd escapes"},
		{"escaping via chain", layout{"h/x": "->../y", "y": "->../../../etc"}, Limits{}, "symlink y -> ../../../etc escapes"},
		{"absolute link", layout{"h/x": "->/etc/passwd"}, Limits{}, `symlink h/x -> "/etc/passwd": absolute`},
		{"dangling link", layout{"h/x": "->nope"}, Limits{}, "h/x: h/nope: file does not exist"},
		{"link cycle", layout{"h/x": "->y", "h/y": "->x"}, Limits{}, "symlink cycle"},
		{"dir cycle to self", layout{"h/d/loop": "->..", "h/f": "f"}, Limits{}, "h/d/loop: directory cycle"},
		{"dir cycle via root", layout{"h/up": "->..", "h/f": "f"}, Limits{}, "h/up: directory cycle"},
		{"fifo", layout{"h/p": "fifo"}, Limits{}, "h/p: h/p is not a regular file or directory"},
		{"newline in name", layout{"h/a\nb": "x"}, Limits{}, "valid UTF-8 without newlines"},
		{"bad utf8 name", layout{"h/a\xffb": "x"}, Limits{}, "valid UTF-8 without newlines"},
		{"too many files", layout{"h/a": "1", "h/b": "2", "h/c": "3"}, Limits{MaxFiles: 2}, "more than 2 files"},
		{"too many bytes", layout{"h/a": "12345", "h/b": "6789"}, Limits{MaxBytes: 8}, "larger than 8 bytes"},
		{"too deep", layout{"h/a/b/c": "x"}, Limits{MaxDepth: 2}, "h/a/b/c: deeper than 2 levels"},
		{"files not a dir", layout{"h/files": "x"}, Limits{}, "h/files: must be a directory"},
		{"host dir a file", layout{"h": "x"}, Limits{}, "h is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(dirFS(write(t, tt.repo)), "h", tt.lim)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if got := fault.ClassOf(err); got != fault.Stalling {
				t.Errorf("got class %v, want %v", got, fault.Stalling)
			}
		})
	}
}

func TestResolveMissingHostDir(t *testing.T) {
	_, err := Resolve(dirFS(write(t, layout{"hosts/other/f": "x"})), "hosts/laptop1", Limits{})
	if !errors.Is(err, ErrNoHostDir) {
		t.Fatalf("got %v, want ErrNoHostDir", err)
	}
	if !strings.Contains(err.Error(), "hosts/laptop1") {
		t.Errorf("got %q, want it to name hosts/laptop1", err)
	}
	if got := fault.ClassOf(err); got != fault.Stalling {
		t.Errorf("got class %v, want %v", got, fault.Stalling)
	}
}

func TestDigest(t *testing.T) {
	base := layout{"h/a": "1", "h/d/b": "x:2", "other/c": "3"}
	digest := func(l layout) string {
		tr, err := Resolve(dirFS(write(t, l)), "h", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Digest()
	}
	want := digest(base)
	// The exact format is a contract shared with the SFTP source and
	// `berth publish`; this value pins it.
	if want != "sha256:"+sha("a 100644 1 "+sha("1")+"\nd 040755 0 -\nd/b 100755 1 "+sha("2")+"\n") {
		t.Errorf("digest format changed: got %v", want)
	}
	tests := []struct {
		name string
		repo layout
		same bool
	}{
		{"other host changed", layout{"h/a": "1", "h/d/b": "x:2", "other/c": "4"}, true},
		{"content changed", layout{"h/a": "9", "h/d/b": "x:2"}, false},
		{"exec bit dropped", layout{"h/a": "1", "h/d/b": "2"}, false},
		{"file renamed", layout{"h/a2": "1", "h/d/b": "x:2"}, false},
		{"empty dir added", layout{"h/a": "1", "h/d/b": "x:2", "h/e": "/"}, false},
		{"link instead of copy", layout{"h/a": "->../s", "s": "1", "h/d/b": "x:2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := digest(tt.repo) == want; got != tt.same {
				t.Errorf("got same digest %v, want %v", got, tt.same)
			}
		})
	}
}
