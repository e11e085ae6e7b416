package source

import (
	"strings"
	"testing"
)

func TestCheckLocal(t *testing.T) {
	for _, tt := range []struct{ host, state, stage, want string }{
		{"a", "/s", "/t", ""},
		{"", "/s", "/t", "host: missing"},
		{"a", "s", "/t", `state dir "s": want an absolute path`},
		{"a", "/s", "", `stage dir "": want an absolute path`},
	} {
		err := CheckLocal(tt.host, tt.state, tt.stage)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: got %v, want %q", tt, err, tt.want)
		}
	}
}
