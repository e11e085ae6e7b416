// Command probe runs berth's source operations for contrib/bench, so that
// they can be timed and metered exactly like the command-line tools they
// are compared with.
//
// Usage:
//
//	probe -config FILE            serve operations read from stdin
//	probe -config FILE -once OP   run one operation and exit
//
// FILE is a JSON Config. In serve mode each stdin line is a JSON Request
// and each answer one JSON Reply line on stdout, measured inside this
// long-lived process as an agent would run it: Wall is the operation's
// duration, CPU the process's user+system time spent meanwhile. In once
// mode the Reply is printed and the caller measures the whole process
// (wait4 rusage: CPU and peak RSS).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/berth-nix/berth/source"
)

// Request is one operation: "poll", "fetch", "pollfetch" (both, as the
// agent does when the head moved), "prime" (fetch and record
// the result as applied), "reconcile" (one reconcile with an applier that
// must not be reached), "load" (polls from Workers goroutines for Seconds)
// or "stats" (RSS and CPU of this process so far).
type Request struct {
	Op      string  `json:"op"`
	Workers int     `json:"workers,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	// Cold starts the operation as after 30 s or more of idling (see
	// coldStart), outside the measured time.
	Cold bool `json:"cold,omitempty"`
}

// Reply is what an operation did and cost.
type Reply struct {
	Wall   time.Duration `json:"wall_ns"`
	CPU    time.Duration `json:"cpu_ns"`
	Out    string        `json:"out,omitempty"`
	Err    string        `json:"err,omitempty"`
	Count  int           `json:"count,omitempty"`
	Errors int           `json:"errors,omitempty"`
	RSSKB  int64         `json:"rss_kb,omitempty"`
	HWMKB  int64         `json:"hwm_kb,omitempty"`
}

func main() {
	cfgPath := flag.String("config", "", "JSON probe configuration")
	once := flag.String("once", "", "run this one operation and exit")
	workers := flag.Int("workers", 1, "concurrent pollers of a load operation")
	seconds := flag.Float64("seconds", 1, "duration of a load operation")
	flag.Parse()
	source.LimitMemory() // as the agent does
	p, err := newProbe(*cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(2)
	}
	if *once != "" {
		rep := p.do(context.Background(), Request{Op: *once, Workers: *workers, Seconds: *seconds})
		json.NewEncoder(os.Stdout).Encode(rep)
		if rep.Err != "" {
			os.Exit(1)
		}
		return
	}
	serve(p)
}

// serve answers requests from stdin until it closes.
func serve(p *probe) {
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req Request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			out.Encode(Reply{Err: "bad request: " + err.Error()})
			continue
		}
		out.Encode(p.do(context.Background(), req))
	}
}
