//go:build !race

package testhost

// RaceEnabled reports whether this binary was built with -race, so that
// test binaries built for a host can match it.
const RaceEnabled = false
