package verify

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGn3ldM34B3UHKzSUlmUpF8jLSMfEfzYvPfCTGOk0eVa"

func TestParseAllowedSigners(t *testing.T) {
	tests := []struct {
		name, line string
		principals string
		namespaces []string
		err        string
	}{
		{"plain", "alice@example.com " + testKey + " laptop", "alice@example.com", nil, ""},
		{"tab", "alice\t" + testKey, "alice", nil, ""},
		{"list", "alice,bob " + testKey, "alice,bob", nil, ""},
		{"quoted", `"alice smith" ` + testKey, "alice smith", nil, ""},
		{"namespaces", `alice namespaces="git,berth-manifest" ` + testKey, "alice", []string{"git", "berth-manifest"}, ""},
		{"validity", `alice valid-after="20200101",valid-before="20300101Z" ` + testKey, "alice", nil, ""},
		{"no key", "alice", "", nil, "want: principals"},
		{"bad key", "alice ssh-ed25519 AAAA", "", nil, "key does not parse"},
		{"cert authority", "alice cert-authority " + testKey, "", nil, "cert-authority is not supported"},
		{"unknown option", `alice frobnicate="x" ` + testKey, "", nil, "unknown option"},
		{"bad time", `alice valid-after="2020" ` + testKey, "", nil, "want YYYYMMDD"},
		{"open quote", `"alice ` + testKey, "", nil, "unterminated quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAllowedSigners("signers", []byte("# comment\n\n"+tt.line+"\n"))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "signers:3:") {
					t.Fatalf("got %v, want an error at signers:3 containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := a.Entries[0]
			if e.Principals != tt.principals || strings.Join(e.Namespaces, "|") != strings.Join(tt.namespaces, "|") || e.Line != 3 {
				t.Errorf("got %q %q line %d, want %q %q line 3", e.Principals, e.Namespaces, e.Line, tt.principals, tt.namespaces)
			}
		})
	}
}

func TestParseAllowedSignersEmpty(t *testing.T) {
	if _, err := ParseAllowedSigners("signers", []byte("# nobody yet\n")); err == nil || !strings.Contains(err.Error(), "no keys") {
		t.Fatalf("got %v, want an error saying there are no keys", err)
	}
}

func TestAllowedSignersFind(t *testing.T) {
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(testKey))
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAllowedSigners("signers", []byte(`old valid-before="20200101Z" `+testKey+"\n"+
		`files namespaces="file" `+testKey+"\n"+
		`alice namespaces="g*",valid-after="20210101Z" `+testKey+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	tests := []struct {
		namespace string
		at        time.Time
		want      string // principals, or the error's words
	}{
		{"git", day("2019-06-01"), "old"},
		{"git", day("2022-06-01"), "alice"},
		{"file", day("2022-06-01"), "files"},
		{"git", day("2020-06-01"), "line 3 is valid only after"},
		{"berth-manifest", day("2022-06-01"), `does not allow namespace "berth-manifest"`},
	}
	for _, tt := range tests {
		e, err := a.Find(key, tt.namespace, tt.at)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = e.Principals
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("Find(%s, %s): got %q, want %q", tt.namespace, tt.at.Format("2006-01-02"), got, tt.want)
		}
	}
}
