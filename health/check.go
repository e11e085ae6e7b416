package health

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Check is one health check. Run returns nil when the check passes; it
// must return promptly once ctx ends.
type Check interface {
	Name() string
	Run(ctx context.Context) error
}

// Func adapts a function to Check.
type Func struct {
	CheckName string
	Fn        func(ctx context.Context) error
}

func (f Func) Name() string                  { return f.CheckName }
func (f Func) Run(ctx context.Context) error { return f.Fn(ctx) }

// Result is how one check fared in RunAll.
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

// RunAll runs the checks concurrently. A failing check is tried again
// every interval until it passes or until deadline has passed since
// RunAll began (or ctx ends); each attempt's ctx ends at that deadline
// too. Results are in the order of checks. The error names every check
// that never passed and is nil when all passed; what a failure means
// (a bad revision, or a system not ready to be changed) is the caller's
// to classify.
func RunAll(ctx context.Context, checks []Check, deadline, interval time.Duration) ([]Result, error) {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	start := time.Now()
	results := make([]Result, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() { results[i] = poll(ctx, c, interval, start) })
	}
	wg.Wait()
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("check %s: %w (%d attempts in %v)",
				r.Name, r.Err, r.Attempts, r.Elapsed.Round(time.Millisecond)))
		}
	}
	return results, errors.Join(errs...)
}

// poll runs c until it passes or ctx ends.
func poll(ctx context.Context, c Check, interval time.Duration, start time.Time) Result {
	r := Result{Name: c.Name()}
	for {
		r.Attempts++
		r.Err = c.Run(ctx)
		r.Elapsed = time.Since(start)
		if r.Err == nil {
			return r
		}
		select {
		case <-ctx.Done():
			return r
		case <-time.After(interval):
		}
	}
}
