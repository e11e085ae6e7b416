package reconciler

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/berth-nix/berth/internal/settings"
)

// CronParser is the schedule syntax: standard five fields plus
// descriptors such as @every and @hourly.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ScheduleSettings is the schedule section of the agent's configuration
// file: when the agent polls.
type ScheduleSettings struct {
	// Cron is a robfig/cron spec ("@every 15m", "*/5 * * * *").
	Cron string `yaml:"cron"`
	// Jitter delays each scheduled poll by a random duration up to this.
	Jitter time.Duration `yaml:"jitter"`
	// BackoffMax caps the retry interval after transient failures.
	BackoffMax time.Duration `yaml:"backoff_max"`
}

// DefaultScheduleSettings poll every 15 minutes.
func DefaultScheduleSettings() ScheduleSettings {
	return ScheduleSettings{Cron: "@every 15m", Jitter: time.Minute, BackoffMax: time.Hour}
}

// Validate checks s. An error is a *settings.Error naming the key inside
// the section.
func (s *ScheduleSettings) Validate() error {
	if _, err := CronParser.Parse(s.Cron); err != nil {
		return settings.Errorf("cron", "%v", err)
	}
	if s.Jitter < 0 {
		return settings.Errorf("jitter", "must not be negative")
	}
	if s.BackoffMax <= 0 {
		return settings.Errorf("backoff_max", "must be positive")
	}
	return nil
}

// String describes s; it holds no secret.
func (s ScheduleSettings) String() string {
	return fmt.Sprintf("%s (jitter %s)", s.Cron, s.Jitter)
}

// Agent returns the agent that runs rec on the schedule of s, held by
// the pauses in pauses. s must be valid.
func (s ScheduleSettings) Agent(rec *Reconciler, pauses PauseStore) *Agent {
	sched, _ := CronParser.Parse(s.Cron)
	return &Agent{Rec: rec, Schedule: sched, Jitter: s.Jitter, BackoffMax: s.BackoffMax, Pauses: pauses}
}
