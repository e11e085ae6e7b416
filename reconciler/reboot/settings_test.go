package reboot

import (
	"errors"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/settings"
)

// TestSettingsAutoPolicy: policy never schedules nothing; policy window
// gives the scheduler the parsed window, the delay and the session rule.
func TestSettingsAutoPolicy(t *testing.T) {
	never := DefaultSettings()
	if err := never.Validate(); err != nil || never.AutoPolicy() != nil {
		t.Errorf("never: got %v, %+v, want valid and no policy", err, never.AutoPolicy())
	}
	s := Settings{Policy: "window", Window: "23:30-01:00", Delay: time.Minute, AllowWithSessions: true}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	p := s.AutoPolicy()
	if p == nil || p.Window.String() != "23:30-01:00" || p.Delay != time.Minute || !p.AllowWithSessions {
		t.Errorf("got %+v, want the window, 1m and sessions allowed", p)
	}
	var e *settings.Error
	if err := (&Settings{Policy: "window"}).Validate(); !errors.As(err, &e) || e.Key != "window" {
		t.Errorf("no window: got %v, want an error naming window", err)
	}
}
