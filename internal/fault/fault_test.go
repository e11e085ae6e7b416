package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestClassSurvivesWrapping(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"plain", base, Unknown},
		{"nil", nil, Unknown},
		{"transient", AsTransient(base), Transient},
		{"stalling wrapped twice", fmt.Errorf("outer: %w", fmt.Errorf("mid: %w", AsStalling(base))), Stalling},
		{"noop", AsNoOp(base), NoOp},
		{"formatted", Transientf("dial %s: %w", "x", base), Transient},
		{"outermost wins", AsStalling(AsTransient(base)), Stalling},
	}
	for _, tt := range tests {
		if got := ClassOf(tt.err); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	if !errors.Is(Stallingf("x: %w", base), base) {
		t.Errorf("Stallingf lost the wrapped error")
	}
	if AsTransient(nil) != nil {
		t.Errorf("AsTransient(nil) should be nil")
	}
}

func TestParseClass(t *testing.T) {
	for _, c := range []Class{Unknown, Transient, Stalling, NoOp} {
		if got := ParseClass(c.String()); got != c {
			t.Errorf("ParseClass(%q): got %v, want %v", c.String(), got, c)
		}
		if got := ClassOf(As(c, errors.New("x"))); got != c {
			t.Errorf("As(%v): got class %v", c, got)
		}
	}
	if got := ParseClass("bogus"); got != Unknown {
		t.Errorf("ParseClass(bogus): got %v, want unknown", got)
	}
	if As(Stalling, nil) != nil {
		t.Error("As(Stalling, nil) is not nil")
	}
}
