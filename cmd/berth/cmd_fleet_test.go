package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/fleet"
)

func TestFleetStatusBadReportsDir(t *testing.T) {
	err := runFleetStatus(&bytes.Buffer{}, fleetOptions{Options: fleet.Options{Reports: "/nonexistent", HostDir: "hosts/{hostname}"}}, time.Now())
	if err == nil || !strings.Contains(err.Error(), "/nonexistent") {
		t.Errorf("got %v, want an error naming the directory", err)
	}
}
