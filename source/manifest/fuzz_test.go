package manifest

import (
	"testing"
	"time"

	"github.com/berth-nix/berth/source/tree"
)

// FuzzParse feeds arbitrary bytes to Parse, which reads what an SFTP
// server hands over: it must never panic, and whatever it accepts must
// be self-consistent and encode back to something it accepts again.
func FuzzParse(f *testing.F) {
	good, _ := ForTree("h", resolved(f), 1, time.Unix(0, 0)).Encode()
	refused, _ := ForRefusal("h", Refusal{Reason: "r"}, 2, time.Unix(0, 0)).Encode()
	for _, seed := range [][]byte{good, refused, []byte("{}"), []byte(`{"version":1,"host":"h","files":null}`)} {
		f.Add(seed)
	}
	lim := tree.Limits{MaxFiles: 1000, MaxBytes: 1 << 20, MaxDepth: 16}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, lim)
		if err != nil {
			return
		}
		if m.Refused == nil && (&tree.Tree{Entries: m.Entries()}).Digest() != m.Digest {
			t.Fatalf("accepted a manifest whose files do not add up to its digest")
		}
		again, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(again, lim); err != nil {
			t.Fatalf("re-encoded manifest refused: %v", err)
		}
	})
}
