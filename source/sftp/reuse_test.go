package sftpsource

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
)

// TestPollFetchAndUploadShareOneConnection: a poll, the fetch after it and
// the report upload after that use one SSH connection; a parked connection
// the server has dropped is replaced without the caller seeing an error.
func TestPollFetchAndUploadShareOneConnection(t *testing.T) {
	s := newServer(t)
	s.writeFile(hostDir+"/flake.nix", "{ }\n")
	s.publish()
	var dials atomic.Int32
	var last atomic.Pointer[net.Conn]
	c := s.config()
	c.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			last.Store(&conn)
		}
		return conn, err
	}
	src := s.source(c)
	if _, err := src.Poll(ctx(t)); err != nil {
		t.Fatal(err)
	}
	mustFetch(t, src)
	if err := src.UploadReport(ctx(t), []byte(`{"n":1}`), ""); err != nil {
		t.Fatal(err)
	}
	if got := dials.Load(); got != 1 {
		t.Errorf("got %d connections for poll, fetch and upload, want 1", got)
	}

	(*last.Load()).Close() // the server (or a NAT) dropped it
	if _, err := src.Poll(ctx(t)); err != nil {
		t.Fatalf("poll after the parked connection dropped: %v", err)
	}
	if got := dials.Load(); got != 2 {
		t.Errorf("got %d connections, want 2 (one new after the drop)", got)
	}
}
