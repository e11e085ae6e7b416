// Package bench measures what berth costs a host and its server, each
// figure beside the tool a user would run instead, measured in the same
// run, interleaved, as medians of several repetitions.
//
// It is a test package run on demand, never by the default test run:
//
//	contrib/bench/run --quick    # under 2 minutes
//	contrib/bench/run --full     # under 15 minutes
//
// which runs `go test ./contrib/bench -run TestBench` with BERTH_BENCH set
// to the mode. Results go to a Markdown table and a JSON file (see
// report_test.go); docs/performance.md explains them. Most benchmarks
// need root (sshd, chrooted SFTP users, the systemd test host) and skip
// otherwise.
//
// berth's side of each comparison runs in contrib/bench/probe, a separate
// process, so that its CPU time, memory and traffic are counted exactly
// like those of the command-line tools beside it.
package bench
