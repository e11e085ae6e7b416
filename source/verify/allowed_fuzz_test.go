package verify

import (
	"testing"
	"time"
)

// FuzzParseAllowedSigners feeds arbitrary text to the allowed_signers
// parser, which reads a file an admin (or a careless tool) wrote: it must
// never panic, and every entry it accepts has a key and principals and can
// be searched.
func FuzzParseAllowedSigners(f *testing.F) {
	for _, seed := range []string{
		"alice@example.com " + testKey + "\n",
		`"a b",c namespaces="git",valid-after="20200101Z",valid-before="203001011200" ` + testKey + " comment\n",
		"# only a comment\n\n",
		`alice cert-authority ` + testKey,
		"\"unterminated " + testKey,
		"alice\t\t" + testKey + "\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAllowedSigners("fuzz", data)
		if err != nil {
			return
		}
		for _, e := range a.Entries {
			if e.Key == nil || e.Principals == "" || e.Line < 1 {
				t.Fatalf("accepted an entry without key, principals or line: %+v", e)
			}
			a.Find(e.Key, NamespaceGit, time.Now())
		}
	})
}
