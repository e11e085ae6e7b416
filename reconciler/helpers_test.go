package reconciler

import (
	"os"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o600) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func cronEvery(d time.Duration) (cron.Schedule, error) { return cron.Every(d), nil }
