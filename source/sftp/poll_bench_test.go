package sftpsource

import (
	"context"
	"fmt"
	"testing"
)

// benchServer publishes a host with n small files and returns the
// server and a Source for it whose traffic m counts.
func benchServer(b *testing.B, n int, m *meter) (*server, *Source) {
	b.Helper()
	s := newServer(b)
	s.writeFile(hostDir+"/flake.nix", "{ }\n")
	for i := range n {
		s.writeFile(fmt.Sprintf("%s/files/d%02d/f%04d", hostDir, i/100, i), fmt.Sprintf("file %d\n", i))
	}
	s.publish()
	c := s.config()
	c.Dial = m.dial
	return s, s.source(c)
}

// BenchmarkPoll measures a poll (connect, read the manifest) of a
// 2,000-file host, with the bytes received per poll.
func BenchmarkPoll(b *testing.B) {
	var m meter
	_, src := benchServer(b, 2000, &m)
	m.take()
	for b.Loop() {
		if _, err := src.Poll(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m.take())/float64(b.N), "recv-bytes/op")
}

// BenchmarkFetchOneChanged measures the incremental fetch after one file
// of a 2,000-file host changed.
func BenchmarkFetchOneChanged(b *testing.B) {
	var m meter
	s, src := benchServer(b, 2000, &m)
	if _, err := src.Fetch(context.Background()); err != nil {
		b.Fatal(err)
	}
	m.take()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		s.writeFile(hostDir+"/files/d00/f0000", fmt.Sprintf("change %d\n", i))
		s.publish()
		b.StartTimer()
		if _, err := src.Fetch(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m.take())/float64(b.N), "recv-bytes/op")
}
