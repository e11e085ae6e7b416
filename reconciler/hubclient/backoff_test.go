package hubclient

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Min: time.Second, Max: time.Minute}
	for failures, ceiling := range map[int]time.Duration{1: 2 * time.Second, 3: 8 * time.Second, 10: time.Minute, 1000: time.Minute} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := b.delay(failures)
			if d < b.Min/2 || d > ceiling {
				t.Fatalf("after %d failures: delay %v outside [%v, %v]", failures, d, b.Min/2, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Errorf("after %d failures: only %d distinct delays in 200: no jitter", failures, len(seen))
		}
	}
}
