package nixos

import (
	"strings"
	"testing"
)

func TestIsStorePath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{storeA, true},
		{storeA + "/bin", false},
		{"/nix/store/0123456789abcdfghijklmnpqrsvwxy-short", false},
		{"/nix/store/0123456789abcdfghijklmnpqrsvwxye-bad-hash-char", false},
		{"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-", false},
		{"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-.hidden", false},
		{"/tmp/0123456789abcdfghijklmnpqrsvwxyz-x", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsStorePath(tt.path); got != tt.want {
			t.Errorf("IsStorePath(%q): got %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestCheckUnitName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"berth-test-20260101T000000-1.service", true},
		{"berth_switch:1.service", true},
		{"berth-test", false},
		{".service", false},
		{"berth-test.timer", false},
		{"berth test.service", false},
		{"berth/x.service", false},
		{"berth@x.service", false},
		{strings.Repeat("a", 248) + ".service", false},
	}
	for _, tt := range tests {
		if err := CheckUnitName(tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckUnitName(%q): got %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestTailWriter(t *testing.T) {
	tw := &tailWriter{max: 2}
	tw.Write([]byte("one\n\ntwo\nthr"))
	tw.Write([]byte("ee\nfour"))
	if got, want := tw.String(), "three\nfour"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEnvironmental(t *testing.T) {
	tests := []struct {
		stderr string
		want   bool
	}{
		{"error: unable to download 'https://cache/x.narinfo': Couldn't resolve host", true},
		{"error: writing to file: No space left on device", true},
		{"error: attribute 'x' missing", false},
	}
	for _, tt := range tests {
		if got := environmental(tt.stderr); got != tt.want {
			t.Errorf("environmental(%q): got %v, want %v", tt.stderr, got, tt.want)
		}
	}
}
