package health

import (
	"reflect"
	"testing"
)

func TestNewFailures(t *testing.T) {
	tests := []struct {
		name          string
		baseline, now []string
		ignore        func(string) bool
		want          []string
	}{
		{"none", nil, nil, nil, nil},
		{"old failure stays", []string{"a.service"}, []string{"a.service"}, nil, nil},
		{"new failures sorted", []string{"a.service"}, []string{"c.service", "a.service", "b.service"}, nil, []string{"b.service", "c.service"}},
		{"recovered unit", []string{"a.service"}, nil, nil, nil},
		{"duplicates once", nil, []string{"b.service", "b.service"}, nil, []string{"b.service"}},
		{"ignored units", nil, []string{"berth-test-1.service", "x.service"}, func(u string) bool { return u == "berth-test-1.service" }, []string{"x.service"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewFailures(tt.baseline, tt.now, tt.ignore); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
