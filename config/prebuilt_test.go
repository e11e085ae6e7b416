package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/berth-nix/berth/activate"
)

func TestPrebuilt(t *testing.T) {
	c, err := Parse("c.yaml", []byte(minimal+"prebuilt:\n  substituters: [\"https://cache.example.org\", \"file:///srv/cache\"]\n  match_flake: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := activate.PrebuiltSettings{Substituters: []string{"https://cache.example.org", "file:///srv/cache"}, MatchFlake: true}
	if !reflect.DeepEqual(c.Prebuilt, want) {
		t.Errorf("got %+v, want %+v", c.Prebuilt, want)
	}
}

func TestPrebuiltErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"prebuilt:\n  substituters: [\"cache.example.org\"]\n", "prebuilt.substituters: entry 0"},
		{"prebuilt:\n  substituters: [\"https://u:secret@cache.example.org\"]\n", "netrc"},
		{"prebuilt:\n  trusted_public_keys: [\"k\"]\n", "trusted_public_keys"},
	}
	for _, tt := range tests {
		_, err := Parse("c.yaml", []byte(minimal+tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: got %v, want an error mentioning %q", tt.doc, err, tt.want)
		}
	}
}
