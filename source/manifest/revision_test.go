package manifest

import (
	"strings"
	"testing"
)

func TestParseRevisionFile(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"sftp@" + digest + "\n", "sftp@" + digest, true},
		{"sftp@refused:12\n", "sftp@refused:12", true},
		{"sftp@sha256:abc\n", "", false},
		{"", "", false},
		{"sftp@" + digest + "\nmore", "", false},
		{"main@sha1:" + strings.Repeat("a", 40), "", false},
	}
	for _, tt := range tests {
		got, ok := ParseRevisionFile([]byte(tt.in))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseRevisionFile(%q): got %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
