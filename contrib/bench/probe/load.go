package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// load polls from req.Workers goroutines until req.Seconds have passed
// and counts the polls that succeeded and failed. Each worker polls again
// as soon as its last poll answered: the figure is what the server
// sustains, not what a fleet would ask of it. Each poll opens its own
// connection, as polls of different hosts, or of one host a minute apart,
// do.
func (p *probe) load(ctx context.Context, req Request) Reply {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(req.Seconds*float64(time.Second)))
	defer cancel()
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	for range max(req.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, err := p.src.Poll(ctx)
				p.dropConnections()
				if err == nil {
					ok.Add(1)
				} else if ctx.Err() == nil {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return Reply{Count: int(ok.Load()), Errors: int(bad.Load())}
}

// memory is this process's resident set size and its peak, in KiB, from
// /proc/self/status.
func memory() (rss, hwm int64) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = n
		case "VmHWM:":
			hwm = n
		}
	}
	return rss, hwm
}
