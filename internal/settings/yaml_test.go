package settings

import (
	"strings"
	"testing"
)

// TestDecodeLocate: decoding is strict and keeps defaults; an error of a
// key, nested or in a list, is named with its file and line.
func TestDecodeLocate(t *testing.T) {
	type item struct {
		Name string `yaml:"name"`
	}
	type doc struct {
		A struct {
			B string `yaml:"b"`
		} `yaml:"a"`
		Items []item `yaml:"items"`
		Keep  string `yaml:"keep"`
	}
	v := doc{Keep: "default"}
	root, err := Decode("f.yaml", []byte("a:\n  b: x\nitems:\n  - name: one\n  - name: two\n"), &v)
	if err != nil || v.A.B != "x" || len(v.Items) != 2 || v.Keep != "default" {
		t.Fatalf("got %+v, %v", v, err)
	}
	for key, want := range map[string]string{"a.b": "f.yaml:2: a.b: bad", "items[1].name": "f.yaml:5: items[1].name: bad", "a.c": "f.yaml:1: a.c: bad"} {
		if got := Locate("f.yaml", root, Errorf(key, "bad")); got == nil || got.Error() != want {
			t.Errorf("%s: got %v, want %q", key, got, want)
		}
	}
	if _, err := Decode("f.yaml", []byte("a:\n  c: x\n"), &v); err == nil || !strings.Contains(err.Error(), "f.yaml") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("unknown key: got %v", err)
	}
}
