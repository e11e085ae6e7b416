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
