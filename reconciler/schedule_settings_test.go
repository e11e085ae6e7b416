package reconciler

import (
	"errors"
	"testing"
	"time"

	"github.com/berth-nix/berth/internal/settings"
)

// TestScheduleSettingsAgent: the agent polls on the section's schedule,
// with its jitter and backoff cap; a bad spec names schedule's cron key.
func TestScheduleSettingsAgent(t *testing.T) {
	s := ScheduleSettings{Cron: "@every 5m", Jitter: time.Second, BackoffMax: time.Minute}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	a := s.Agent(&Reconciler{}, PauseStore{Path: "/p"})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if a.Schedule.Next(now) != now.Add(5*time.Minute) || a.Jitter != time.Second || a.BackoffMax != time.Minute || a.Pauses.Path != "/p" {
		t.Errorf("got %+v", a)
	}
	var e *settings.Error
	if err := (&ScheduleSettings{Cron: "every day", BackoffMax: time.Hour}).Validate(); !errors.As(err, &e) || e.Key != "cron" {
		t.Errorf("got %v, want an error naming cron", err)
	}
	if s.String() != "@every 5m (jitter 1s)" {
		t.Errorf("String: %q", s)
	}
}
