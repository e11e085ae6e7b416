package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pause.json")
	type doc struct{ By string }
	var got doc
	if ok, err := ReadJSON(p, &got); ok || err != nil {
		t.Fatalf("missing file: got %v, %v; want false, nil", ok, err)
	}
	if err := WriteJSON(p, doc{By: "uid 0"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := ReadJSON(p, &got); !ok || err != nil || got.By != "uid 0" {
		t.Fatalf("got %+v, %v, %v; want the saved document", got, ok, err)
	}
	os.WriteFile(p, []byte("{"), 0o600)
	if _, err := ReadJSON(p, &got); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("corrupt file: got %v, want an error naming %s", err, p)
	}
	for range 2 {
		if err := Remove(p); err != nil {
			t.Errorf("Remove: %v", err)
		}
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("file still there after Remove")
	}
}
