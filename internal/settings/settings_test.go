package settings

import (
	"errors"
	"fmt"
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
