package settings

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestUnder(t *testing.T) {
	err := Under("source", Under("git", Errorf("url", "is required, got %q", "")))
	var e *Error
	if !errors.As(err, &e) || e.Key != "source.git.url" || err.Error() != `source.git.url: is required, got ""` {
		t.Errorf("got %#v", err)
	}
	if err := Under("source.sftp", fmt.Errorf("plain")); err.Error() != "source.sftp: plain" {
		t.Errorf("a plain error: got %v", err)
	}
	if Under("x", nil) != nil {
		t.Error("Under of nil is not nil")
	}
}

func TestAbs(t *testing.T) {
	if err := Abs("state_dir", "var/lib"); err == nil || err.Error() != `state_dir: must be an absolute path, got "var/lib"` {
		t.Errorf("relative: got %v", err)
	}
	if Abs("state_dir", "") == nil {
		t.Error("empty: accepted")
	}
	err := OptionalAbs(Path{"a", ""}, Path{"b", "/x"}, Path{"c", "y"})
	var e *Error
	if !errors.As(err, &e) || e.Key != "c" {
		t.Errorf("optional: got %v, want an error naming c", err)
	}
	if err := OptionalAbs(Path{"a", ""}, Path{"b", "/x"}); err != nil {
		t.Errorf("got %v", err)
	}
}

func TestHTTPURL(t *testing.T) {
	for _, ok := range []string{"https://h.example/x", "http://127.0.0.1:9430"} {
		if err := HTTPURL("hub.url", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "ftp://h/", "https://", "https://u:secret@h/", "h.example/x"} {
		err := HTTPURL("hub.url", bad)
		var e *Error
		if !errors.As(err, &e) || e.Key != "hub.url" || strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: got %v, want a redacted error naming hub.url", bad, err)
		}
	}
}
