package health

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Check is one health check. Run returns nil when the check passes; it
// must return promptly once ctx ends.
type Check interface {
	Name() string
	Run(ctx context.Context) error
}

// Probe is a check with its retry limits: a failing check is tried again
// every Interval until it passes or until Deadline has passed since the
// probes began. An Interval as long as the Deadline makes one attempt.
type Probe struct {
	Check    Check
	Interval time.Duration
	Deadline time.Duration
}

// Result is how one probe fared in RunAll.
type Result struct {
	Name string
	// Err is the last failure, nil when the check passed.
	Err error
	// Attempts counts the calls to Run.
	Attempts int
	// Elapsed is the time from the start of RunAll to the last attempt's
	// end.
	Elapsed time.Duration
}

func (r Result) String() string {
	if r.Err == nil {
		return fmt.Sprintf("%s: ok (%d attempts, %v)", r.Name, r.Attempts, r.Elapsed.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s: FAILED after %d attempts in %v: %v", r.Name, r.Attempts, r.Elapsed.Round(time.Millisecond), r.Err)
}

// RunAll runs the probes concurrently, each until it passes, its deadline
// passes or ctx ends; an attempt's ctx ends at its probe's deadline too.
// Results are in the order of probes.
func RunAll(ctx context.Context, probes []Probe) []Result {
	start := time.Now()
	results := make([]Result, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() { results[i] = poll(ctx, p, start) })
	}
	wg.Wait()
	return results
}

// poll runs p until it passes or its deadline or ctx ends. When the next
// attempt would start at or after the deadline, the last failure is the
// verdict at once: waiting for the deadline would only delay it.
func poll(ctx context.Context, p Probe, start time.Time) Result {
	end := start.Add(p.Deadline)
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	r := Result{Name: p.Check.Name()}
	for {
		r.Attempts++
		r.Err = p.Check.Run(ctx)
		r.Elapsed = time.Since(start)
		if r.Err == nil || !time.Now().Add(p.Interval).Before(end) {
			return r
		}
		select {
		case <-ctx.Done():
			return r
		case <-time.After(p.Interval):
		}
	}
}

// Failed returns the results whose check never passed.
func Failed(results []Result) []Result {
	var out []Result
	for _, r := range results {
		if r.Err != nil {
			out = append(out, r)
		}
	}
	return out
}

// Describe names each failed result with its last error on one line,
// for verdicts and status lines: "web (GET …: 503), db (exit status 1)".
func Describe(failed []Result) string {
	parts := make([]string, len(failed))
	for i, r := range failed {
		parts[i] = fmt.Sprintf("%s (%s)", r.Name, oneLine(r.Err.Error()))
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
